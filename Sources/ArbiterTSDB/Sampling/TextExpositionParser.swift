/// Reads Prometheus text exposition 0.0.4 into samples, as a scrape would: `# HELP`/`# TYPE` lines
/// and blank lines are skipped, timestamps on sample lines are ignored (the round has one).
public enum TextExpositionParser {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let line: Int
        public let message: String
        public var description: String { "line \(self.line): \(self.message)" }
    }

    public static func parse(_ bytes: [UInt8]) throws -> [(Labels, Double)] {
        var samples: [(Labels, Double)] = []
        try self.scan(bytes) { number, labels, text in
            guard let value = self.value(text) else {
                throw ParseError(line: number, message: "\(labels[Labels.metricName] ?? ""): no value, or not a number")
            }
            samples.append((labels, value))
        }
        return samples
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
        try self.scan(bytes) { number, labels, text in
            samples.append(Line(line: number, labels: labels, value: String(decoding: text, as: UTF8.self)))
        }
        return samples
    }

    /// Calls `body` with every sample line's number, labels and value bytes.
    private static func scan(_ bytes: [UInt8], _ body: (Int, Labels, ArraySlice<UInt8>) throws -> Void) throws {
        var lineNumber = 0
        // The lines of one family come together: their metric name is made into a String once.
        var lastName = ""
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[start..<end]
            start = end + 1
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            let labels: Labels
            let value: ArraySlice<UInt8>
            do {
                (labels, value) = try self.sample(line, lastName: &lastName)
            } catch let message as Message {
                throw ParseError(line: lineNumber, message: message.text)
            }
            try body(lineNumber, labels, value)
        }
    }

    private struct Message: Error {
        let text: String
    }

    private static func sample(_ line: ArraySlice<UInt8>, lastName: inout String) throws -> (Labels, ArraySlice<UInt8>) {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        if !lastName.utf8.elementsEqual(line[line.startIndex..<index]) { lastName = String(decoding: line[line.startIndex..<index], as: UTF8.self) }
        let name = lastName
        guard !name.isEmpty else { throw Message(text: "a sample line needs a metric name") }
        var pairs: [(name: String, value: String)] = [(Labels.metricName, name)]
        // Whether the pairs come sorted, unique and without empty values, as the registry writes them.
        var ordered = true
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
                var nameEnd = index
                while nameEnd > nameStart, line[nameEnd - 1] == UInt8(ascii: " ") { nameEnd -= 1 }
                let labelName = String(decoding: line[nameStart..<nameEnd], as: UTF8.self)
                guard index + 1 < line.endIndex, line[index + 1] == UInt8(ascii: "\"") else {
                    throw Message(text: "label \(labelName) needs a quoted value")
                }
                index += 2
                // Values without escapes (nearly all) are taken straight from the line.
                let valueStart = index
                var escaped = false
                while index < line.endIndex, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\") {
                        escaped = true
                        index += 1
                    }
                    index += 1
                }
                guard index < line.endIndex else { throw Message(text: "unterminated value of label \(labelName)") }
                let value = escaped ? Self.unescape(line[valueStart..<index]) : String(decoding: line[valueStart..<index], as: UTF8.self)
                index += 1
                ordered = ordered && !value.isEmpty && pairs[pairs.count - 1].name.utf8.lexicographicallyPrecedes(labelName.utf8)
                pairs.append((labelName, value))
            }
        }
        while index < line.endIndex, line[index] == UInt8(ascii: " ") { index += 1 }
        let valueStart = index
        while index < line.endIndex, line[index] != UInt8(ascii: " ") { index += 1 }
        guard index > valueStart else { throw Message(text: "\(name): no value, or not a number") }
        return (ordered ? Labels(sortedUnique: pairs) : Labels(pairs.map { ($0.name, $0.value) }), line[valueStart..<index])
    }

    /// A label value with `\\`, `\"` and `\n` escapes.
    private static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
        var value: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.endIndex {
                index += 1
                value.append(bytes[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : bytes[index])
            } else {
                value.append(bytes[index])
            }
            index += 1
        }
        return String(decoding: value, as: UTF8.self)
    }

    /// A sample value: whole numbers (most counters and gauges) read straight from the bytes.
    private static func value(_ bytes: ArraySlice<UInt8>) -> Double? {
        var whole: Int64 = 0
        var index = bytes.startIndex
        let negative = index < bytes.endIndex && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        if index < bytes.endIndex, bytes.endIndex - index <= 15 {
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                whole = whole * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            if index == bytes.endIndex { return Double(negative ? -whole : whole) }
        }
        return self.value(String(decoding: bytes, as: UTF8.self))
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
