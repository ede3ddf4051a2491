/// How to reach Redis and how the client's connections behave.
public struct RedisConfiguration: Sendable {
    /// Where the server listens.
    public let endpoint: RedisEndpoint
    /// The database every connection selects (`SELECT`), 0 unless the URL names another.
    public let database: Int
    /// The ACL user to authenticate as; `nil` authenticates with the password alone (the `default` user).
    public let user: String?
    /// The password sent with `AUTH` on every connection, if any. Kept out of everything printed.
    package let password: String?
    private let redactedURL: String

    /// How long to wait for a connection to be made.
    public var connectTimeout: Duration = .seconds(2)
    /// How long to wait for a free connection, and then for the answer to a command (or a pipeline)
    /// once sent; a connection that did not answer in time is given up.
    public var commandTimeout: Duration = .seconds(2)
    /// How many connections commands share (the pipelines and scripts included).
    public var poolSize: Int = 2
    /// The wait after a failed connection attempt before the next; it doubles with each failure up to
    /// ``maxReconnectDelay``. Commands that need a new connection meanwhile fail at once.
    public var reconnectDelay: Duration = .milliseconds(100)
    /// The longest wait between connection attempts.
    public var maxReconnectDelay: Duration = .seconds(2)

    /// Reads a Redis URL:
    /// - `redis://[[user]:password@]host[:port][/db]`: TCP, port 6379 and database 0 unless given; an
    ///   IPv6 address goes in brackets (`redis://[::1]:6379`).
    /// - `unix:///path/to/redis.sock[?db=N][&password=…][&user=…]`: a Unix domain socket.
    ///
    /// User and password are percent-decoded (`%40` for `@`, `%3A` for `:`). `redis://` takes the same
    /// `db`, `user` and `password` query parameters, as long as they do not repeat what the URL says
    /// elsewhere. `rediss://` (TLS) is refused: the hiredis this builds on has no TLS.
    ///
    /// - Important: The URL may hold a password: log ``redacted``, never the URL.
    /// - Parameter url: The URL.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/configuration`` naming what is wrong, with
    ///   the URL's password hidden.
    public init(url: String) throws(RedisError) {
        let parsed = try RedisURL.parse(url)
        self.endpoint = parsed.endpoint
        self.database = parsed.database
        self.user = parsed.user
        self.password = parsed.password
        self.redactedURL = parsed.redacted
    }

    /// The URL with its password replaced by `***`, for logs and errors.
    public var redacted: String {
        self.redactedURL
    }

    /// `text` with the password replaced by `***`, for messages that could echo it.
    func scrub(_ text: String) -> String {
        guard let password = self.password, !password.isEmpty else { return text }
        return text.replacing(password, with: RedisURL.mask)
    }
}
