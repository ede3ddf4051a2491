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
        try self.scan(bytes, known: { _, _ in nil }) { number, labels, _, text in
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
        try self.scan(bytes, known: { _, _ in nil }) { number, labels, _, text in
            samples.append(Line(line: number, labels: labels, value: String(decoding: text, as: UTF8.self)))
        }
        return samples
    }

    /// Calls `body` with every sample line's number, labels, where its metric name and labels lie
    /// in `bytes`, and its value bytes. `known` may give the labels of the n-th
    /// sample line and where they end in the line, so that they are not parsed again.
    static func scan(
        _ bytes: [UInt8], known: (Int, UnsafeBufferPointer<UInt8>) -> (Labels, Int)?,
        _ body: (Int, Labels, Range<Int>, UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        try bytes.withUnsafeBufferPointer { bytes in
            var sampleLines = 0
            var lineNumber = 0
            // Consecutive lines mostly share their metric name and label names, and often values:
            // what the last line made into Strings is reused when the bytes are the same.
            var last = Reuse()
            var start = 0
            while start < bytes.count {
                lineNumber += 1
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let (lineStart, line) = (start, UnsafeBufferPointer(rebasing: bytes[start..<end]))
                start = end + 1
                guard let first = line.first, first != UInt8(ascii: "#") else { continue }
                let labels: Labels
                let labelsEnd: Int
                do {
                    (labels, labelsEnd) = try known(sampleLines, line) ?? self.labels(line, last: &last)
                } catch let message as Message {
                    throw ParseError(line: lineNumber, message: message.text)
                }
                sampleLines += 1
                var valueStart = labelsEnd
                while valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                var valueEnd = valueStart
                while valueEnd < line.count, line[valueEnd] != UInt8(ascii: " ") { valueEnd += 1 }
                guard valueEnd > valueStart else {
                    throw ParseError(line: lineNumber, message: "\(labels[Labels.metricName] ?? ""): no value, or not a number")
                }
                try body(lineNumber, labels, lineStart..<lineStart + labelsEnd, UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd]))
            }
        }
    }

    private struct Message: Error {
        let text: String
    }

    /// The Strings of the last line: its metric name, and its label names and values by position.
    private struct Reuse {
        var name = ""
        var strings: [String] = []

        /// The String for `bytes`, the one at `position` when it has the same bytes.
        mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> String {
            if position < self.strings.count, Self.same(self.strings[position], bytes) { return self.strings[position] }
            let made = String(decoding: bytes, as: UTF8.self)
            if position < self.strings.count {
                self.strings[position] = made
            } else if position == self.strings.count {
                self.strings.append(made)
            }
            return made
        }

        static func same(_ string: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var string = string
            return string.withUTF8 { utf8 in
                guard utf8.count == bytes.count else { return false }
                for index in 0..<utf8.count where utf8[index] != bytes[index] { return false }
                return true
            }
        }
    }

    /// A sample line's labels, and where they end in the line.
    private static func labels(_ line: UnsafeBufferPointer<UInt8>, last: inout Reuse) throws -> (Labels, Int) {
        var index = 0
        while index < line.count, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        let nameBytes = UnsafeBufferPointer(rebasing: line[0..<index])
        if !Reuse.same(last.name, nameBytes) { last.name = String(decoding: nameBytes, as: UTF8.self) }
        let name = last.name
        guard !name.isEmpty else { throw Message(text: "a sample line needs a metric name") }
        var pairs: [(name: String, value: String)] = [(Labels.metricName, name)]
        pairs.reserveCapacity(1 + last.strings.count / 2)
        // Whether the pairs come sorted, unique and without empty values, as the registry writes them.
        var ordered = true
        if index < line.count, line[index] == UInt8(ascii: "{") {
            index += 1
            while true {
                while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: ",") { index += 1 }
                guard index < line.count else { throw Message(text: "unterminated label set") }
                if line[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                let nameStart = index
                while index < line.count, line[index] != UInt8(ascii: "=") { index += 1 }
                var nameEnd = index
                while nameEnd > nameStart, line[nameEnd - 1] == UInt8(ascii: " ") { nameEnd -= 1 }
                let position = 2 * (pairs.count - 1)
                let labelName = last.string(UnsafeBufferPointer(rebasing: line[nameStart..<nameEnd]), at: position)
                guard index + 1 < line.count, line[index + 1] == UInt8(ascii: "\"") else {
                    throw Message(text: "label \(labelName) needs a quoted value")
                }
                index += 2
                // Values without escapes (nearly all) are taken straight from the line.
                let valueStart = index
                var escaped = false
                while index < line.count, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\") {
                        escaped = true
                        index += 1
                    }
                    index += 1
                }
                guard index < line.count else { throw Message(text: "unterminated value of label \(labelName)") }
                let valueBytes = UnsafeBufferPointer(rebasing: line[valueStart..<index])
                let value = escaped ? Self.unescape(valueBytes) : last.string(valueBytes, at: position + 1)
                index += 1
                ordered = ordered && !value.isEmpty && pairs[pairs.count - 1].name.utf8.lexicographicallyPrecedes(labelName.utf8)
                pairs.append((labelName, value))
            }
        }
        return (ordered ? Labels(sortedUnique: pairs) : Labels(pairs.map { ($0.name, $0.value) }), index)
    }

    /// A label value with `\\`, `\"` and `\n` escapes.
    private static func unescape(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var value: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
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
    static func value(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var whole: Int64 = 0
        var index = 0
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        if index < bytes.count, bytes.count - index <= 15 {
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                whole = whole * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            if index == bytes.count { return Double(negative ? -whole : whole) }
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
