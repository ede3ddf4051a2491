/// A value bound to or read from a SQLite statement.
public enum SQLiteValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case null

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }

    /// `.text` for a string, `.null` for `nil`.
    public init(_ text: String?) { self = text.map { .text($0) } ?? .null }

    /// `.integer` for a number, `.null` for `nil`.
    public init(_ integer: Int64?) { self = integer.map { .integer($0) } ?? .null }

    /// The integer, if this is one.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The text, if this is text.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The bytes, if this is a blob.
    public var blob: [UInt8]? {
        if case .blob(let value) = self { return value }
        return nil
    }
}
