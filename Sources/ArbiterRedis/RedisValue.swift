/// A Redis reply (RESP2), error replies aside: those are thrown as ``RedisError`` of kind
/// ``RedisError/Kind/reply``.
public enum RedisValue: Sendable, Equatable {
    /// A nil bulk string or nil array (`GET` of a missing key, Lua's `false`).
    case null
    /// A bulk string, decoded as UTF-8 (invalid sequences replaced).
    case string(String)
    /// An integer reply (`INCR`, `PTTL`, `DEL`…).
    case integer(Int64)
    /// A status reply (`+OK`, `+PONG`), without its `+`.
    case status(String)
    /// An array reply, such as `MGET`'s or a Lua table's.
    case array([RedisValue])

    /// The text of a bulk string or a status reply; `nil` for anything else.
    public var string: String? {
        switch self {
        case .string(let text), .status(let text): text
        default: nil
        }
    }

    /// The number of an integer reply; `nil` for anything else.
    public var integer: Int64? {
        guard case .integer(let number) = self else { return nil }
        return number
    }

    /// The elements of an array reply; `nil` for anything else.
    public var array: [RedisValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }
}
