/// Builds one log line in logfmt or JSON.
struct LogLine {
    private let format: LogFormat
    private var bytes: [UInt8] = []

    init(format: LogFormat) {
        self.format = format
        self.bytes.reserveCapacity(256)
        if format == .json { self.bytes.append(UInt8(ascii: "{")) }
    }

    mutating func add(_ key: String, _ value: String) {
        switch self.format {
        case .logfmt:
            if !self.bytes.isEmpty { self.bytes.append(UInt8(ascii: " ")) }
            self.bytes.append(contentsOf: Self.logfmtKey(key).utf8)
            self.bytes.append(UInt8(ascii: "="))
            self.appendLogfmtValue(value)
        case .json:
            if self.bytes.count > 1 { self.bytes.append(UInt8(ascii: ",")) }
            self.appendQuoted(key)
            self.bytes.append(UInt8(ascii: ":"))
            self.appendQuoted(value)
        }
    }

    mutating func finish() -> [UInt8] {
        if self.format == .json { self.bytes.append(UInt8(ascii: "}")) }
        self.bytes.append(UInt8(ascii: "\n"))
        return self.bytes
    }

    /// logfmt keys cannot hold spaces, `=` or quotes.
    private static func logfmtKey(_ key: String) -> String {
        String(key.map { $0 == " " || $0 == "=" || $0 == "\"" ? "_" : $0 })
    }

    private mutating func appendLogfmtValue(_ value: String) {
        let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") || $0 == 0x7F }
        guard needsQuotes else {
            self.bytes.append(contentsOf: value.utf8)
            return
        }
        self.appendQuoted(value)
    }

    /// A double-quoted string with `"`, `\` and control characters escaped: valid JSON, and a quoted
    /// logfmt value.
    private mutating func appendQuoted(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): self.bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): self.bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): self.bytes.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): self.bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                self.bytes.append(contentsOf: "\\u00".utf8)
                self.bytes.append(hex[Int(byte >> 4)])
                self.bytes.append(hex[Int(byte & 0xF)])
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
