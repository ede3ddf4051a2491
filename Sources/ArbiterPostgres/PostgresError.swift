/// A failed PostgreSQL call: the SQLSTATE, the server's (or libpq's) message, and whether the
/// connection it happened on can still be used. Never carries a password: messages that could echo
/// the connection string are scrubbed first.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE, such as `23505` (unique violation) or `08001` (could not connect).
    /// Failures libpq reports without one get a class `08` code (connection exception).
    public let sqlState: String
    /// The primary message.
    public let message: String
    /// The server's detail line, if it sent one.
    public let detail: String?
    /// Whether the connection is lost: the caller drops it and connects again.
    public let connectionBroken: Bool

    /// - Parameters:
    ///   - sqlState: The SQLSTATE.
    ///   - message: What went wrong.
    ///   - detail: More about it, if known.
    ///   - connectionBroken: Whether the connection can no longer be used.
    public init(sqlState: String, message: String, detail: String? = nil, connectionBroken: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.connectionBroken = connectionBroken
    }

    public var description: String {
        var text = "\(self.message) (SQLSTATE \(self.sqlState))"
        if let detail = self.detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }

    /// Whether running the same work again may succeed: a deadlock victim or a serialization failure.
    public var isTransient: Bool {
        self.sqlState == "40001" || self.sqlState == "40P01"
    }

    /// Whether the database is out of reach rather than refusing this statement: the connection is
    /// lost, or the server is starting, stopping or refusing connections.
    public var meansUnavailable: Bool {
        self.connectionBroken || self.sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(self.sqlState)
    }
}

extension PostgresError {
    /// SQLSTATEs Arbiter gives failures that happen on the client's side of the connection.
    enum ClientState {
        /// `sqlclient_unable_to_establish_sqlconnection`.
        static let cannotConnect = "08001"
        /// `connection_failure`: an established connection was lost, or did not answer in time.
        static let connectionLost = "08006"
        /// `character_not_in_repertoire`: text PostgreSQL cannot store.
        static let badCharacter = "22021"
        /// `read_only_sql_transaction`.
        static let readOnly = "25006"
        /// `invalid_parameter_value`: a connection string libpq cannot read.
        static let badConnectionString = "22023"
    }
}
