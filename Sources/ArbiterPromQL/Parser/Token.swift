/// A PromQL token with where it starts in the query (a byte offset), for error messages that point
/// at the place.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case identifier(String)
        /// A metric name with a colon in it (recording-rule style), which cannot be a label name.
        case metricIdentifier(String)
        case number(Double)
        case duration(Duration)
        case string(String)
        case keyword(Keyword)
        case `operator`(Operator)
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, colon, at
        case end
    }

    public let kind: Kind
    /// Byte offset in the query.
    public let position: Int
    /// The token's text as written.
    public let text: String
}

/// Words with a meaning of their own wherever they stand.
public enum Keyword: String, Sendable, CaseIterable {
    case and, or, unless, atan2
    case by, without, on, ignoring
    case groupLeft = "group_left"
    case groupRight = "group_right"
    case bool, offset
    case start, end
}

/// Binary and matching operators.
public enum Operator: String, Sendable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^"
    case eql = "==", neq = "!=", lte = "<=", lss = "<", gte = ">=", gtr = ">"
    case equalMatch = "="
    case regexMatch = "=~"
    case regexNoMatch = "!~"
}

/// A query that cannot be read, with where: `1:14: parse error: unexpected "}"`.
public struct PromQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public init(_ message: String, at position: Int, in query: String) {
        var line = 1
        var column = 1
        for (offset, byte) in query.utf8.enumerated() {
            if offset >= position { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(self.line):\(self.column): parse error: \(self.message)" }
}
