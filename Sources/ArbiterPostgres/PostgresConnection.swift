import ArbiterCore
import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection.
///
/// Statements run with parameters, prepared once per connection and then executed by name: the store
/// runs the same few statements over and over. Every call waits for the server's answer with `poll()`
/// on the connection's socket, bounded by ``PostgresConfiguration/responseTimeout``, so a server that
/// stopped answering costs a bounded wait and a lost connection, never a hung thread.
///
/// - Important: Not for concurrent use: every call blocks, so callers run them on a thread pool,
///   never on the Swift concurrency pool, and one call at a time.
// Safety (@unchecked Sendable): the handle and the statement cache are only used by one thread at a
// time, as above (the pool hands a connection to one operation at a time); the handle is finished
// exactly once, in deinit.
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Statement names by SQL text.
    private var statements: [String: String] = [:]
    /// Set when a call gave up waiting: the protocol state is unknown, so the connection is done for.
    private var abandoned = false
    private let responseTimeout: Duration?
    /// What the password could look like in a message, to scrub it.
    let passwords: [String]

    /// The server, as the connection string names it with its password hidden.
    public let target: String
    /// Rows the last statement changed (or returned).
    public private(set) var rowsAffected = 0

    /// Connects, waiting at most the connection string's `connect_timeout` or else the configuration's
    /// ``PostgresConfiguration/connectTimeout``, and sets the session's `statement_timeout`.
    /// - Throws: ``PostgresError`` with the server's SQLSTATE when it refused (`28P01` a wrong password,
    ///   `3D000` no such database…), else `08001`; its message names the server, never the password.
    public convenience init(_ configuration: PostgresConfiguration) throws(PostgresError) {
        try self.init(configuration, isCancelled: { false })
    }

    /// - Parameter isCancelled: Asked while waiting for the server; `true` gives up at once.
    init(_ configuration: PostgresConfiguration, isCancelled: () -> Bool) throws(PostgresError) {
        self.target = configuration.redacted
        self.passwords = ConnectionString.passwords(in: configuration.connectionString)
        self.responseTimeout = configuration.responseTimeout
        self.handle = try PostgresConnector.connect(configuration, passwords: self.passwords, isCancelled: isCancelled)
        if let timeout = configuration.statementTimeout {
            try self.execute("SET statement_timeout = \(max(timeout.wholeMilliseconds, 1))")
        }
    }

    deinit {
        PQfinish(self.handle)
    }

    /// Whether the connection is lost: the caller drops it and opens another.
    public var isBroken: Bool {
        self.abandoned || PQstatus(self.handle) != CONNECTION_OK
    }

    /// Whether a transaction is open and a statement in it failed: everything but a rollback is refused.
    var inFailedTransaction: Bool {
        PQtransactionStatus(self.handle) == PQTRANS_INERROR
    }

    /// Runs one statement with parameters (`$1`, `$2`…) and returns every row.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> [PostgresRow] {
        try self.checkUsable()
        let bound = try PostgresParameters(parameters)
        let name = try self.statementName(sql)
        let sent = bound.withArrays { values, lengths, formats in
            if let name {
                return PQsendQueryPrepared(self.handle, name, bound.count, values, lengths, formats, 0)
            }
            return PQsendQueryParams(self.handle, sql, bound.count, nil, values, lengths, formats, 0)
        }
        try self.checkSent(sent)
        return try self.collect().rows
    }

    /// Runs text that may hold several statements separated by `;`, without parameters (migrations,
    /// transaction control).
    /// - Returns: The command tag of the last statement (`COMMIT`, or `ROLLBACK` when a commit could not
    ///   be made).
    /// - Throws: ``PostgresError`` for the first statement that failed; those after it did not run.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> String {
        try self.checkUsable()
        try self.checkSent(PQsendQuery(self.handle, sql))
        return try self.collect().tag
    }

    /// Checks, without waiting, that an idle connection was not closed by the server meanwhile (a restart
    /// closes every connection; libpq only notices when it next reads).
    /// - Returns: Whether the connection still looks usable.
    func stillAlive() -> Bool {
        guard !self.isBroken else { return false }
        var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { return false }
        if poll(&descriptor, 1, 0) > 0 {
            // An idle connection only has something to read when the server said goodbye (or sent a notice).
            if PQconsumeInput(self.handle) == 0 { return false }
            while PQisBusy(self.handle) == 0, let result = PQgetResult(self.handle) { PQclear(result) }
        }
        return !self.isBroken
    }

    /// Gives the connection up: it is not to be used again.
    func abandon() {
        self.abandoned = true
    }

    // MARK: Statements

    /// The prepared statement for `sql`, preparing it on first use; `nil` once the cache is full
    /// (statements built from many optional conditions are run unprepared).
    private func statementName(_ sql: String) throws(PostgresError) -> String? {
        if let name = self.statements[sql] { return name }
        guard self.statements.count < 256 else { return nil }
        let name = "arbiter_\(self.statements.count + 1)"
        try self.checkSent(PQsendPrepare(self.handle, name, sql, 0, nil))
        _ = try self.collect()
        self.statements[sql] = name
        return name
    }

    // MARK: Results

    private func checkUsable() throws(PostgresError) {
        guard !self.isBroken else {
            throw PostgresError(sqlState: PostgresError.ClientState.connectionLost, message: "the connection to \(self.target) is lost", connectionBroken: true)
        }
    }

    private func checkSent(_ status: Int32) throws(PostgresError) {
        guard status == 1 else { throw self.connectionError() }
    }

    /// Reads every result of what was sent. The first error is thrown once all of them are read, so the
    /// connection is ready for the next statement.
    private func collect() throws(PostgresError) -> (rows: [PostgresRow], tag: String) {
        let deadline = self.responseTimeout.map { ContinuousClock.now + $0 }
        var rows: [PostgresRow] = []
        var tag = ""
        var failure: PostgresError?
        while true {
            try self.waitForResult(until: deadline)
            guard let result = PQgetResult(self.handle) else { break }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
                rows = PostgresResultReader.rows(result)
                self.rowsAffected = rows.count
                tag = String(cString: PQcmdStatus(result))
            case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                self.rowsAffected = Int(String(cString: PQcmdTuples(result))) ?? 0
                tag = String(cString: PQcmdStatus(result))
            case PGRES_NONFATAL_ERROR:
                continue
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                // Arbiter never copies; the protocol state is not one this type can leave.
                self.abandoned = true
                failure = failure ?? PostgresError(sqlState: "0A000", message: "COPY is not supported on this connection", connectionBroken: true)
                return (rows, tag)
            default:
                failure = failure ?? self.error(from: result)
            }
        }
        if let failure { throw failure }
        return (rows, tag)
    }

    /// Waits until libpq can hand over the next result without blocking.
    private func waitForResult(until deadline: ContinuousClock.Instant?) throws(PostgresError) {
        while PQisBusy(self.handle) == 1 {
            var milliseconds: Int32 = -1
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    self.abandoned = true
                    throw PostgresError(
                        sqlState: PostgresError.ClientState.connectionLost,
                        message: "\(self.target) did not answer within \(self.responseTimeout ?? .zero); the connection is given up",
                        connectionBroken: true)
                }
                milliseconds = Int32(clamping: max(remaining.wholeMilliseconds, 1))
            }
            var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN), revents: 0)
            guard descriptor.fd >= 0 else { throw self.connectionError() }
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                self.abandoned = true
                throw self.connectionError()
            }
            if ready > 0, PQconsumeInput(self.handle) == 0 { throw self.connectionError() }
        }
    }

    private func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue ?? 0)).map { String(cString: $0) }
        }
        let broken = self.isBroken
        let message = field("M") ?? self.libpqMessage(PQresultErrorMessage(result))
        return PostgresError(
            sqlState: field("C") ?? (broken ? PostgresError.ClientState.connectionLost : "XX000"),
            message: ConnectionString.scrub(message, passwords: self.passwords), detail: field("D"), connectionBroken: broken)
    }

    /// The connection's own error (no result to read it from): the connection is lost or unusable.
    private func connectionError() -> PostgresError {
        let message = self.libpqMessage(PQerrorMessage(self.handle))
        return PostgresError(
            sqlState: PostgresError.ClientState.connectionLost,
            message: "the connection to \(self.target) is lost: \(ConnectionString.scrub(message, passwords: self.passwords))",
            connectionBroken: true)
    }

    private func libpqMessage(_ text: UnsafePointer<CChar>?) -> String {
        var message = text.map { String(cString: $0) } ?? ""
        while message.last?.isWhitespace == true { message.removeLast() }
        return message.isEmpty ? "no message" : message
    }
}
