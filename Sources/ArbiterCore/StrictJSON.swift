/// JSON exactly as RFC 8259 defines it, checked before anything else parses a request body.
///
/// Foundation's parser accepts more than JSON (a trailing comma, for one) and recurses once per level
/// of nesting, so a body nested a hundred thousand deep exhausts its stack. This check runs first: it
/// is iterative, linear in the input, keeps one flag per open array or object (at most `maxDepth`),
/// and refuses trailing commas, comments, single quotes, `NaN` and `Infinity`, leading zeros,
/// unescaped control characters, unknown escapes, unpaired surrogate escapes, invalid UTF-8 and
/// anything after the value. A text it accepts is safe to hand to a recursive parser.
public enum StrictJSON {
    /// How deeply arrays and objects may nest by default: far beyond any real request, far below what
    /// a recursive parser's stack can take.
    public static let defaultMaxDepth = 128

    /// Why a text is not JSON: what is wrong, and the byte offset where it was found.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Zero-based offset of the byte at fault.
        public let offset: Int
        /// What is wrong, for a person.
        public let message: String

        public init(offset: Int, message: String) {
            self.offset = offset
            self.message = message
        }

        public var description: String { "\(self.message) (at byte \(self.offset))" }
    }

    /// Checks that `bytes` are exactly one JSON text (any value, surrounded by optional whitespace).
    /// - Parameters:
    ///   - bytes: The text, UTF-8.
    ///   - maxDepth: How many arrays and objects may be open at once.
    /// - Throws: ``SyntaxError`` at the first byte that is not JSON.
    public static func validate(_ bytes: [UInt8], maxDepth: Int = StrictJSON.defaultMaxDepth) throws(SyntaxError) {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        try scanner.run()
    }
}

/// The state machine behind ``StrictJSON/validate(_:maxDepth:)``.
private struct JSONScanner {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    /// The open containers, innermost last: `true` for an object, `false` for an array.
    var open: [Bool] = []

    enum State {
        /// A value: the whole text's, a member's after `:`, or an array element after `,`.
        case value(afterComma: Bool)
        /// Just after `[`: an element or `]`.
        case firstElementOrEnd
        /// A member name; just after `{` (`afterComma == false`) `}` may close the object instead.
        case name(afterComma: Bool)
        /// After a value: `,` or the end of its container, or the end of the text at the top.
        case separatorOrEnd
    }

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = max(maxDepth, 0)
    }

    mutating func run() throws(StrictJSON.SyntaxError) {
        var state = State.value(afterComma: false)
        while true {
            self.skipWhitespace()
            switch state {
            case .value(let afterComma):
                guard let byte = self.peek() else {
                    throw self.error(self.bytes.isEmpty ? "the text is empty" : "the text ends where a value should be")
                }
                if afterComma, byte == Byte.closeBracket { throw self.error("a trailing comma is not allowed before ]") }
                state = try self.value(byte)
            case .firstElementOrEnd:
                guard let byte = self.peek() else { throw self.error("the text ends inside an array") }
                if byte == Byte.closeBracket {
                    self.close()
                    state = .separatorOrEnd
                } else {
                    state = try self.value(byte)
                }
            case .name(let afterComma):
                guard let byte = self.peek() else { throw self.error("the text ends inside an object") }
                if byte == Byte.closeBrace {
                    if afterComma { throw self.error("a trailing comma is not allowed before }") }
                    self.close()
                    state = .separatorOrEnd
                    continue
                }
                guard byte == Byte.quote else {
                    throw self.error(byte == Byte.slash ? "comments are not allowed in JSON" : "expected a member name in double quotes")
                }
                try self.string()
                self.skipWhitespace()
                guard self.peek() == Byte.colon else { throw self.error("expected : after the member name") }
                self.index += 1
                state = .value(afterComma: false)
            case .separatorOrEnd:
                guard let isObject = self.open.last else {
                    guard self.index == self.bytes.count else {
                        throw self.error(self.peek() == Byte.slash ? "comments are not allowed in JSON" : "unexpected text after the JSON value")
                    }
                    return
                }
                guard let byte = self.peek() else { throw self.error(isObject ? "the text ends inside an object" : "the text ends inside an array") }
                if byte == Byte.comma {
                    self.index += 1
                    state = isObject ? .name(afterComma: true) : .value(afterComma: true)
                } else if byte == (isObject ? Byte.closeBrace : Byte.closeBracket) {
                    self.close()
                    state = .separatorOrEnd
                } else if byte == Byte.slash {
                    throw self.error("comments are not allowed in JSON")
                } else {
                    throw self.error(isObject ? "expected , or } after an object member" : "expected , or ] after an array element")
                }
            }
        }
    }

    /// Reads a scalar, or opens an array or object.
    /// - Returns: What may follow.
    mutating func value(_ byte: UInt8) throws(StrictJSON.SyntaxError) -> State {
        switch byte {
        case Byte.openBrace, Byte.openBracket:
            guard self.open.count < self.maxDepth else {
                throw self.error("arrays and objects are nested deeper than \(self.maxDepth) levels")
            }
            self.open.append(byte == Byte.openBrace)
            self.index += 1
            return byte == Byte.openBrace ? .name(afterComma: false) : .firstElementOrEnd
        case Byte.quote:
            try self.string()
        case UInt8(ascii: "t"):
            try self.literal("true")
        case UInt8(ascii: "f"):
            try self.literal("false")
        case UInt8(ascii: "n"):
            try self.literal("null")
        case Byte.minus, Byte.zero...Byte.nine:
            try self.number()
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw self.error("NaN and Infinity are not JSON numbers")
        case Byte.slash:
            throw self.error("comments are not allowed in JSON")
        case UInt8(ascii: "'"):
            throw self.error("strings must be in double quotes")
        case 0x21...0x7E:
            throw self.error("unexpected character \(Character(Unicode.Scalar(byte)))")
        default:
            throw self.error("unexpected byte 0x\(String(byte, radix: 16, uppercase: true))")
        }
        return .separatorOrEnd
    }

    mutating func close() {
        self.open.removeLast()
        self.index += 1
    }

    mutating func literal(_ word: String) throws(StrictJSON.SyntaxError) {
        for expected in word.utf8 {
            guard self.peek() == expected else { throw self.error("expected \(word)") }
            self.index += 1
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws(StrictJSON.SyntaxError) {
        if self.peek() == Byte.minus { self.index += 1 }
        guard let first = self.peek(), Self.isDigit(first) else {
            throw self.error(self.peek() == UInt8(ascii: "I") ? "NaN and Infinity are not JSON numbers" : "expected a digit")
        }
        if first == Byte.zero {
            self.index += 1
            if let next = self.peek(), Self.isDigit(next) { throw self.error("numbers must not have leading zeros") }
        } else {
            self.skipDigits()
        }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard self.skipDigits() > 0 else { throw self.error("expected a digit after the decimal point") }
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == Byte.minus { self.index += 1 }
            guard self.skipDigits() > 0 else { throw self.error("expected a digit in the exponent") }
        }
    }

    /// A string, from its opening quote to its closing one.
    mutating func string() throws(StrictJSON.SyntaxError) {
        let start = self.index
        self.index += 1
        while true {
            guard let byte = self.peek() else {
                self.index = start
                throw self.error("a string is not closed")
            }
            switch byte {
            case Byte.quote:
                self.index += 1
                return
            case Byte.backslash:
                try self.escape()
            case 0x00..<0x20:
                throw self.error("control characters in a string must be escaped (\\n, \\t, \\u0000)")
            case 0x20..<0x80:
                self.index += 1
            default:
                try self.utf8Sequence()
            }
        }
    }

    /// One escape sequence, from its backslash; a `\u` escape of a surrogate must be half of a pair.
    mutating func escape() throws(StrictJSON.SyntaxError) {
        guard self.index + 1 < self.bytes.count else { throw self.error("a string is not closed") }
        switch self.bytes[self.index + 1] {
        case Byte.quote, Byte.backslash, Byte.slash, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            self.index += 2
        case UInt8(ascii: "u"):
            guard let unit = self.hex4(at: self.index + 2) else { throw self.error("\\u must be followed by four hexadecimal digits") }
            if (0xDC00...0xDFFF).contains(unit) { throw self.error("a \\u escape of a low surrogate must follow one of a high surrogate") }
            self.index += 6
            if (0xD800...0xDBFF).contains(unit) {
                guard self.index + 1 < self.bytes.count, self.bytes[self.index] == Byte.backslash, self.bytes[self.index + 1] == UInt8(ascii: "u"),
                    let low = self.hex4(at: self.index + 2), (0xDC00...0xDFFF).contains(low)
                else {
                    throw self.error("a \\u escape of a high surrogate must be followed by one of a low surrogate")
                }
                self.index += 6
            }
        default:
            self.index += 1
            throw self.error("unknown escape sequence")
        }
    }

    /// Four hexadecimal digits at `position`, or `nil`.
    func hex4(at position: Int) -> UInt32? {
        guard position + 4 <= self.bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in self.bytes[position..<(position + 4)] {
            let digit: UInt8
            switch byte {
            case Byte.zero...Byte.nine: digit = byte - Byte.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// One multi-byte UTF-8 sequence, well formed (no overlong forms, surrogates or values past U+10FFFF).
    mutating func utf8Sequence() throws(StrictJSON.SyntaxError) {
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch self.bytes[self.index] {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw self.error("the text is not valid UTF-8")
        }
        guard self.index + length <= self.bytes.count, secondRange.contains(self.bytes[self.index + 1]) else {
            throw self.error("the text is not valid UTF-8")
        }
        for offset in 2..<length where !(0x80...0xBF).contains(self.bytes[self.index + offset]) {
            throw self.error("the text is not valid UTF-8")
        }
        self.index += length
    }

    func peek() -> UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    /// - Returns: How many digits were skipped.
    @discardableResult
    mutating func skipDigits() -> Int {
        let start = self.index
        while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        return self.index - start
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= Byte.zero && byte <= Byte.nine
    }

    func error(_ message: String) -> StrictJSON.SyntaxError {
        StrictJSON.SyntaxError(offset: self.index, message: message)
    }
}

/// The bytes the grammar turns on.
private enum Byte {
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
}
