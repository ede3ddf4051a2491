/// A value bound to a statement or read from a row. Parameters go to the server in text form (bytea
/// in binary); results come back in text form and are decoded by column type: integer columns as
/// ``int64(_:)``, `boolean` as ``bool(_:)``, `bytea` as ``bytea(_:)``, everything else as ``text(_:)``.
public enum PostgresValue: Sendable, Equatable, Hashable {
    /// SQL `NULL`.
    case null
    /// Text, UTF-8 on the wire. PostgreSQL cannot store U+0000: a parameter holding it is refused.
    case text(String)
    /// A `bigint` (and, read back, any integer column).
    case int64(Int64)
    /// A `boolean`.
    case bool(Bool)
    /// A `bytea`, sent in binary form.
    case bytea([UInt8])

    /// `.text` for a string, `.null` for `nil`.
    public init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    /// `.int64` for a number, `.null` for `nil`.
    public init(_ integer: Int64?) {
        self = integer.map { .int64($0) } ?? .null
    }

    /// The text, if this is text.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The integer, if this is one.
    public var int64: Int64? {
        if case .int64(let value) = self { return value }
        return nil
    }

    /// The boolean, if this is one.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The bytes, if this is a `bytea`.
    public var bytes: [UInt8]? {
        if case .bytea(let value) = self { return value }
        return nil
    }

    /// Whether this is SQL `NULL`.
    public var isNull: Bool {
        self == .null
    }
}

/// A row of a result, its values in column order.
public struct PostgresRow: Sendable, Equatable {
    /// The row's values, one per column.
    public let values: [PostgresValue]

    /// A row of these values, in column order.
    public init(_ values: [PostgresValue]) {
        self.values = values
    }

    /// The value of column `index`; `.null` past the last column.
    public subscript(_ index: Int) -> PostgresValue {
        index < self.values.count ? self.values[index] : .null
    }

    /// How many columns the row has.
    public var count: Int { self.values.count }
}
