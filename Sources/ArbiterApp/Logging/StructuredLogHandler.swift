#if canImport(Glibc)
import Glibc
#endif
import ArbiterCore
import Logging

/// Writes one line per log event on stderr, as logfmt or JSON, with an RFC 3339 UTC timestamp.
///
/// Each line goes out in a single `write(2)`, so lines from concurrent tasks never interleave.
/// Nothing here redacts: callers must not put secrets in messages or metadata.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let output: Int32

    /// - Parameters:
    ///   - label: The logger's label, written as `logger`.
    ///   - format: logfmt or JSON.
    ///   - level: The minimum level written.
    ///   - output: The file descriptor to write to (stderr by default).
    public init(label: String, format: LogFormat, level: Logger.Level, output: Int32 = 2) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let provided = self.metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = LogLine(format: self.format)
        line.add("ts", Self.timestamp())
        line.add("level", event.level.rawValue)
        line.add("logger", self.label)
        line.add("msg", "\(event.message)")
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line.add(key, Self.flatten(value))
        }
        var bytes = line.finish()
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(self.output, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let items): "[" + items.map(flatten).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\(flatten($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// `2026-11-24T23:20:41.123Z`
    static func timestamp() -> String {
        RFC3339.format(milliseconds: WallClock.nowMilliseconds())
    }
}
