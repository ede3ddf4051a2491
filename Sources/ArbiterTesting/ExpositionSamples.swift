/// A small reader of the text exposition formats, so tests can assert on sample values.
public enum ExpositionSamples {
    /// One sample line.
    public struct Sample: Sendable, Equatable {
        public let name: String
        public let labels: [String: String]
        public let value: String
    }

    /// Parses the sample lines of a text 0.0.4 or OpenMetrics exposition (comments are skipped).
    /// - Parameter text: The exposition.
    /// - Returns: Its samples in order; lines that do not parse are skipped.
    public static func parse(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            return Self.parseLine(Array(line.utf8))
        }
    }

    /// The value of the one sample with this name and exactly these labels.
    public static func value(in text: String, _ name: String, _ labels: [String: String] = [:]) -> String? {
        self.parse(text).first { $0.name == name && $0.labels == labels }?.value
    }

    private static func parseLine(_ bytes: [UInt8]) -> Sample? {
        var index = 0
        while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: bytes[0..<index], as: UTF8.self)
        var labels: [String: String] = [:]
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "}") {
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
                let key = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 2  // `="`
                var value: [UInt8] = []
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        index += 1
                        value.append(bytes[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : bytes[index])
                    } else {
                        value.append(bytes[index])
                    }
                    index += 1
                }
                index += 1
                labels[key] = String(decoding: value, as: UTF8.self)
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let rest = bytes[(index + 1)...].split(separator: UInt8(ascii: " "))
        guard let value = rest.first else { return nil }
        return Sample(name: name, labels: labels, value: String(decoding: value, as: UTF8.self))
    }
}
