/// A failed Redis call: what kind of failure it was and a message saying what happened. Never carries
/// a password: messages that could echo one are scrubbed first.
public struct RedisError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, broadly; callers branch on this and log ``message``.
    public enum Kind: String, Sendable, CaseIterable {
        /// Redis could not be reached, refused the connection (a wrong password included), or the
        /// connection was lost; also returned at once while the client waits before connecting again.
        case connection
        /// Redis did not answer in time, or no connection was free in time.
        case timeout
        /// Redis answered with an error (`-ERR …`, `-WRONGTYPE …`, `-NOSCRIPT …`); the connection is fine.
        case reply
        /// The client or subscriber was closed.
        case closed
        /// The URL or the call is malformed.
        case configuration
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened: Redis's own text for ``Kind/reply`` (`ERR unknown command …`), else a sentence
    /// naming the server as ``RedisConfiguration/redacted`` shows it.
    public let message: String

    /// - Parameters:
    ///   - kind: What kind of failure this is.
    ///   - message: What happened; must not hold a password.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// The kind and the message, for logs.
    public var description: String {
        "Redis \(self.kind.rawValue) error: \(self.message)"
    }

    /// Whether this is Redis saying it does not have a script (it restarted, or `SCRIPT FLUSH` ran).
    var isNoScript: Bool {
        self.kind == .reply && self.message.hasPrefix("NOSCRIPT")
    }
}
