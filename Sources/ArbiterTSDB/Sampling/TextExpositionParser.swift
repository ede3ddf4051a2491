/// Reads Prometheus text exposition 0.0.4 into samples, as a scrape would: `# HELP`/`# TYPE` lines
/// and blank lines are skipped, timestamps on sample lines are ignored (the round has one).
public enum TextExpositionParser {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let line: Int
        public let message: String
        public var description: String { "line \(self.line): \(self.message)" }
    }

    public static func parse(_ bytes: [UInt8]) throws -> [(Labels, Double)] {
        try self.lines(bytes).map { line in
            guard let value = self.value(line.value) else {
                throw ParseError(line: line.line, message: "\(line.labels[Labels.metricName] ?? ""): no value, or not a number")
            }
            return (line.labels, value)
        }
    }

    /// A sample line as written: its labels (the name as `__name__`) and its value's text.
    public struct Line: Sendable {
        public let line: Int
        public let labels: Labels
        public let value: String
    }

    /// Every sample line, the value left as text.
    public static func lines(_ bytes: [UInt8]) throws -> [Line] {
        var samples: [Line] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[start..<end]
            start = end + 1
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            do {
                let (labels, value) = try self.sample(line)
                samples.append(Line(line: lineNumber, labels: labels, value: value))
            } catch let message as Message {
                throw ParseError(line: lineNumber, message: message.text)
            }
        }
        return samples
    }

    private struct Message: Error {
        let text: String
    }

    private static func sample(_ line: ArraySlice<UInt8>) throws -> (Labels, String) {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        let name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        guard !name.isEmpty else { throw Message(text: "a sample line needs a metric name") }
        var pairs: [(String, String)] = [(Labels.metricName, name)]
        if index < line.endIndex, line[index] == UInt8(ascii: "{") {
            index += 1
            while true {
                while index < line.endIndex, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: ",") { index += 1 }
                guard index < line.endIndex else { throw Message(text: "unterminated label set") }
                if line[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                let nameStart = index
                while index < line.endIndex, line[index] != UInt8(ascii: "=") { index += 1 }
                let labelName = String(decoding: line[nameStart..<index], as: UTF8.self).trimmingSpaces()
                guard index + 1 < line.endIndex, line[index + 1] == UInt8(ascii: "\"") else {
                    throw Message(text: "label \(labelName) needs a quoted value")
                }
                index += 2
                var value: [UInt8] = []
                while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                        index += 1
                        value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index += 1
                }
                guard index < line.endIndex else { throw Message(text: "unterminated value of label \(labelName)") }
                index += 1
                pairs.append((labelName, String(decoding: value, as: UTF8.self)))
            }
        }
        let rest = String(decoding: line[index...], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
        guard let text = rest.first else { throw Message(text: "\(name): no value, or not a number") }
        return (Labels(pairs), String(text))
    }

    private static func value(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
