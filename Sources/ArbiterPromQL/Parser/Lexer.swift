/// Splits a PromQL query (Prometheus 2.42's syntax) into tokens.
///
/// Numbers are decimal, hexadecimal (`0x1f`), with exponents, or `Inf`/`NaN` in any case; a number
/// directly followed by a unit is a duration (`5m`, `1h30m`, `250ms`; units `ms s m h d w y`);
/// strings take double, single or back quotes, the first two with Go's escapes; `#` starts a
/// comment to the end of the line.
public struct Lexer {
    private let query: String
    private let bytes: [UInt8]
    private var index = 0

    public init(_ query: String) {
        self.query = query
        self.bytes = Array(query.utf8)
    }

    /// Every token, ending with `.end`.
    public static func tokens(_ query: String) throws(PromQLError) -> [Token] {
        var lexer = Lexer(query)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    public mutating func next() throws(PromQLError) -> Token {
        self.skipSpaceAndComments()
        let start = self.index
        guard self.index < self.bytes.count else { return Token(kind: .end, position: start, text: "") }
        let byte = self.bytes[self.index]
        switch byte {
        case UInt8(ascii: "("): return self.single(.leftParen)
        case UInt8(ascii: ")"): return self.single(.rightParen)
        case UInt8(ascii: "{"): return self.single(.leftBrace)
        case UInt8(ascii: "}"): return self.single(.rightBrace)
        case UInt8(ascii: "["): return self.single(.leftBracket)
        case UInt8(ascii: "]"): return self.single(.rightBracket)
        case UInt8(ascii: ","): return self.single(.comma)
        case UInt8(ascii: ":"): return self.single(.colon)
        case UInt8(ascii: "@"): return self.single(.at)
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"): return try self.string(quote: byte)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."): return try self.numberOrDuration()
        default: break
        }
        if let op = self.operatorAhead() {
            self.index += op.rawValue.utf8.count
            return Token(kind: .operator(op), position: start, text: op.rawValue)
        }
        if Self.isIdentifierStart(byte) { return self.word() }
        throw PromQLError("unexpected character: '\(Character(Unicode.Scalar(byte)))'", at: start, in: self.query)
    }

    private mutating func single(_ kind: Token.Kind) -> Token {
        defer { self.index += 1 }
        return Token(kind: kind, position: self.index, text: String(decoding: [self.bytes[self.index]], as: UTF8.self))
    }

    private mutating func skipSpaceAndComments() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): self.index += 1
            case UInt8(ascii: "#"):
                while self.index < self.bytes.count, self.bytes[self.index] != UInt8(ascii: "\n") { self.index += 1 }
            default: return
            }
        }
    }

    /// The longest operator at the current position.
    private func operatorAhead() -> Operator? {
        for length in [2, 1] where self.index + length <= self.bytes.count {
            let text = String(decoding: self.bytes[self.index..<self.index + length], as: UTF8.self)
            if let op = Operator(rawValue: text) { return op }
        }
        return nil
    }

    package static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    package static func isIdentifierPart(_ byte: UInt8) -> Bool {
        self.isIdentifierStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private mutating func word() -> Token {
        let start = self.index
        var hasColon = false
        while self.index < self.bytes.count, Self.isIdentifierPart(self.bytes[self.index]) || self.bytes[self.index] == UInt8(ascii: ":") {
            if self.bytes[self.index] == UInt8(ascii: ":") { hasColon = true }
            self.index += 1
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if hasColon { return Token(kind: .metricIdentifier(text), position: start, text: text) }
        switch text.lowercased() {
        case "inf": return Token(kind: .number(.infinity), position: start, text: text)
        case "nan": return Token(kind: .number(.nan), position: start, text: text)
        default: break
        }
        if let keyword = Keyword(rawValue: text.lowercased()) { return Token(kind: .keyword(keyword), position: start, text: text) }
        return Token(kind: .identifier(text), position: start, text: text)
    }

    private mutating func numberOrDuration() throws(PromQLError) -> Token {
        let start = self.index
        // A duration: digits and units, repeated (`1h30m`).
        if let (duration, end) = Self.duration(self.bytes, from: start) {
            self.index = end
            return Token(kind: .duration(duration), position: start, text: String(decoding: self.bytes[start..<end], as: UTF8.self))
        }
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            let previous = self.index > start ? self.bytes[self.index - 1] : 0
            let isExponentSign = (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && (previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E"))
                && !(self.bytes[start..<self.index].starts(with: Array("0x".utf8)) || self.bytes[start..<self.index].starts(with: Array("0X".utf8)))
            guard Self.isIdentifierPart(byte) || byte == UInt8(ascii: ".") || isExponentSign else { break }
            self.index += 1
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Self.parseNumber(text) else { throw PromQLError("bad number or duration syntax: \"\(text)\"", at: start, in: self.query) }
        return Token(kind: .number(value), position: start, text: text)
    }

    static func parseNumber(_ text: String) -> Double? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16).map { Double($0) } }
        // Go's ParseFloat: no hex floats here, no leading "+" (the sign is an operator).
        guard !lower.contains("p"), lower.first != "+" else { return nil }
        return Double(text)
    }

    /// The longest duration Prometheus takes: Go's `time.Duration` in milliseconds.
    static let maxDuration: Int64 = Int64.max / 1_000_000

    /// A duration at `start`: one or more `digits unit` with units in decreasing order, or `nil`.
    static func duration(_ bytes: [UInt8], from start: Int) -> (Duration, Int)? {
        let units: [(String, Int64)] = [("ms", 1), ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var index = start
        var total: Int64 = 0
        var lastUnit = Int64.max
        var parts = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            var number: Int64 = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                // Saturates instead of wrapping: a huge number is then refused as out of range.
                number = number >= 1 << 53 ? 1 << 53 : number * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard let (unit, size) = units.first(where: { unit in
                let u = Array(unit.0.utf8)
                return index + u.count <= bytes.count && Array(bytes[index..<index + u.count]) == u
                    && !(index + u.count < bytes.count && Self.isIdentifierPart(bytes[index + u.count]) && !(bytes[index + u.count] >= UInt8(ascii: "0") && bytes[index + u.count] <= UInt8(ascii: "9")))
            }) else {
                return nil
            }
            guard size < lastUnit else { return nil }
            lastUnit = size
            // Beyond 292 years (int64 nanoseconds, as Go's durations) is out of range, as in Prometheus.
            let (part, overflow) = number.multipliedReportingOverflow(by: size)
            guard !overflow, number < 1 << 53, part <= Self.maxDuration - total else { return nil }
            total += part
            index += unit.utf8.count
            parts += 1
        }
        return parts > 0 ? (.milliseconds(total), index) : nil
    }

    private mutating func string(quote: UInt8) throws(PromQLError) -> Token {
        let start = self.index
        self.index += 1
        var out: [UInt8] = []
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == quote {
                self.index += 1
                let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
                return Token(kind: .string(String(decoding: out, as: UTF8.self)), position: start, text: text)
            }
            if byte == UInt8(ascii: "\n"), quote != UInt8(ascii: "`") { break }
            if byte == UInt8(ascii: "\\"), quote != UInt8(ascii: "`") {
                guard self.index + 1 < self.bytes.count else { break }
                let escaped = self.bytes[self.index + 1]
                switch escaped {
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(escaped)
                default:
                    throw PromQLError("unknown escape sequence '\\\(Character(Unicode.Scalar(escaped)))'", at: self.index, in: self.query)
                }
                self.index += 2
                continue
            }
            out.append(byte)
            self.index += 1
        }
        throw PromQLError("unterminated quoted string", at: start, in: self.query)
    }
}
