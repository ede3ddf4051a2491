import ArbiterTSDB

/// A series written as in Prometheus's test scripts and promtool's `input_series`:
/// `metric{a="b"} 0+10x5 _ stale 3 _x2 1-1x3` — labels, then values one step apart, where `_` is
/// no sample, `stale` a staleness marker, `a+bxN` the N+1 values from a stepping by b, `axN` a
/// repeated N+1 times and `_xN` N steps without samples.
public struct SeriesDescription: Sendable {
    public let labels: Labels
    /// One entry per step; `nil` where the step has no sample.
    public let values: [Double?]

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(_ line: String) throws(ParseError) {
        let text = Substring(line.trimmingWhitespace())
        let (labelsText, rest) = try Self.splitLabels(text)
        self.labels = try Self.parseLabels(labelsText)
        var values: [Double?] = []
        for item in rest.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            values += try Self.expand(String(item))
        }
        self.values = values
    }

    /// The metric name and braces, and what follows them.
    private static func splitLabels(_ text: Substring) throws(ParseError) -> (Substring, Substring) {
        var quote: Character?
        var escaped = false
        var inBraces = false
        for index in text.indices {
            let character = text[index]
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'", "`": if inBraces { quote = character }
            case "{": inBraces = true
            case "}": return (text[...index], text[text.index(after: index)...])
            case " ", "\t": if !inBraces { return (text[..<index], text[index...]) }
            default: break
            }
        }
        if inBraces { throw ParseError(description: "unclosed label set in series description \"\(text)\"") }
        return (text, "")
    }

    private static func parseLabels(_ text: Substring) throws(ParseError) -> Labels {
        var pairs: [(String, String)] = []
        let brace = text.firstIndex(of: "{") ?? text.endIndex
        let name = text[..<brace]
        if !name.isEmpty { pairs.append((Labels.metricName, String(name))) }
        guard brace < text.endIndex else { return Labels(pairs) }
        let tokens: [Token]
        do {
            tokens = try Lexer.tokens(String(text[brace...]))
        } catch {
            throw ParseError(description: "\(error) in series description \"\(text)\"")
        }
        var index = 1
        while index < tokens.count, tokens[index].kind != .rightBrace {
            guard index + 2 < tokens.count, case .operator(.equalMatch) = tokens[index + 1].kind, case .string(let value) = tokens[index + 2].kind else {
                throw ParseError(description: "expected label=\"value\" at \"\(tokens[index].text)\" in series description \"\(text)\"")
            }
            pairs.append((tokens[index].text, value))
            index += 3
            if index < tokens.count, tokens[index].kind == .comma { index += 1 }
        }
        return Labels(pairs)
    }

    static func expand(_ item: String) throws(ParseError) -> [Double?] {
        if item == "_" { return [nil] }
        if item == "stale" { return [StaleNaN.value] }
        var body = Substring(item)
        var times: Int?
        if let x = item.lastIndex(of: "x"), let count = Int(item[item.index(after: x)...]), x > item.startIndex {
            times = count
            body = item[..<x]
        }
        if body == "_" {
            guard let times else { return [nil] }
            return Array(repeating: nil, count: times)
        }
        var start = Self.number(body)
        var step = 0.0
        if start == nil {
            // `a+b` or `a-b`: the last sign that is not an exponent's.
            let bytes = Array(body.utf8)
            guard let split = bytes.indices.dropFirst().last(where: {
                (bytes[$0] == UInt8(ascii: "+") || bytes[$0] == UInt8(ascii: "-")) && bytes[$0 - 1] != UInt8(ascii: "e") && bytes[$0 - 1] != UInt8(ascii: "E")
            }), times != nil, let a = Self.number(body.utf8.prefix(split)), let b = Self.number(body.utf8.dropFirst(split))
            else {
                throw ParseError(description: "invalid value \"\(item)\" in series description")
            }
            start = a
            step = b
        }
        guard let times else { return [start] }
        var values: [Double?] = []
        var value = start!
        for _ in 0...times {
            values.append(value)
            value += step
        }
        return values
    }

    /// Go's `strconv.ParseFloat` as the test format reads values: decimal, exponent, hex integer,
    /// `Inf`, `NaN`, with an optional sign.
    static func number<S: Sequence>(_ text: S) -> Double? where S.Element == UInt8 {
        var string = String(decoding: Array(text), as: UTF8.self)
        var sign = 1.0
        if string.hasPrefix("+") || string.hasPrefix("-") {
            if string.hasPrefix("-") { sign = -1 }
            string.removeFirst()
        }
        switch string.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        case "": return nil
        default: return Lexer.parseNumber(string).map { sign * $0 }
        }
    }

    package static func number(_ text: Substring) -> Double? { Self.number(text.utf8) }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
