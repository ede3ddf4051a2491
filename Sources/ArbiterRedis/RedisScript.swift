import ArbiterCore
import Crypto

/// A Lua script, run by its SHA-1 (`EVALSHA`) and loaded on demand (see ``RedisClient/run(_:keys:arguments:)``).
public struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    public let source: String
    /// The SHA-1 of the source, in lower-case hex, as Redis names the script.
    public let sha1: String

    /// - Parameter source: The Lua source.
    public init(_ source: String) {
        self.source = source
        self.sha1 = Hex.encode(Array(Insecure.SHA1.hash(data: Array(source.utf8))))
    }
}
