/// How to reach PostgreSQL and how the store's connections behave.
public struct PostgresConfiguration: Sendable {
    /// Anything libpq's `PQconnectdb` accepts: a URL (`postgres://user:password@host:5432/db?sslmode=require`)
    /// or `key=value` pairs (`host=db user=arbiter dbname=arbiter`). libpq's environment variables
    /// (`PGHOST`, `PGPASSWORD`…) and `~/.pgpass` fill in what it leaves out.
    ///
    /// - Important: It may hold a password: log ``redacted``, never this.
    public var connectionString: String
    /// Connections the store opens at most (reads and group commits share them).
    public var poolSize: Int
    /// How long to try to connect, when the connection string sets no `connect_timeout`.
    public var connectTimeout: Duration
    /// The server-side bound on one statement (`statement_timeout`); `nil` leaves the server's.
    public var statementTimeout: Duration?
    /// How long to wait for the answer to one statement before taking the connection as lost (a server
    /// that stopped answering); `nil` waits as long as it takes.
    public var responseTimeout: Duration?
    /// How long an operation waits for a free connection before it fails with `StoreUnavailable`.
    public var acquireTimeout: Duration
    /// The wait after a failed connection attempt before the next one; it doubles with each failure
    /// up to ``maxReconnectDelay``. Operations that need a new connection meanwhile fail at once.
    public var reconnectDelay: Duration
    /// The longest wait between connection attempts.
    public var maxReconnectDelay: Duration
    /// The most operations one group commit takes.
    public var maxGroupOperations: Int
    /// What `pg_stat_activity` shows, unless the connection string names it.
    public var applicationName: String
    /// More libpq parameters (`keepalives_idle`…), each used unless the connection string sets it.
    public var defaultParameters: [String: String] = [:]

    /// - Parameter connectionString: See ``connectionString``.
    public init(
        _ connectionString: String, poolSize: Int = 4, connectTimeout: Duration = .seconds(5), statementTimeout: Duration? = .seconds(30),
        responseTimeout: Duration? = .seconds(60), acquireTimeout: Duration = .seconds(5), reconnectDelay: Duration = .milliseconds(100),
        maxReconnectDelay: Duration = .seconds(2), maxGroupOperations: Int = 1024, applicationName: String = "arbiter"
    ) {
        self.connectionString = connectionString
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.responseTimeout = responseTimeout
        self.acquireTimeout = acquireTimeout
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
        self.maxGroupOperations = maxGroupOperations
        self.applicationName = applicationName
    }

    /// The connection string with its password replaced by `***`, for logs and errors.
    public var redacted: String {
        ConnectionString.redact(self.connectionString)
    }
}
