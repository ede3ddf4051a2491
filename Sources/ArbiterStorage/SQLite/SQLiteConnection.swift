import CSQLite

/// One SQLite connection.
///
/// - Important: Not for concurrent use: every call blocks, so callers run them on a dedicated thread
///   (see ``SQLiteDatabase``), never on the Swift concurrency pool, and one call at a time.
// Safety (@unchecked Sendable): the handle is only used by one thread at a time, as above, and is
// closed exactly once in deinit.
public final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The database file.
    public let path: String

    /// Opens (creating if needed) a database file in WAL mode with foreign keys enforced.
    /// - Parameters:
    ///   - path: The file.
    ///   - synchronous: `FULL` makes every commit survive a power cut; `NORMAL` in WAL mode keeps the
    ///     database consistent but may lose the last commits.
    /// - Throws: ``SQLiteError`` naming the file.
    public init(path: String, synchronous: String = "FULL") throws(SQLiteError) {
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &raw, flags, nil)
        guard status == SQLITE_OK, let raw else {
            let error = SQLiteError(code: status, handle: raw, operation: "open \(path)")
            sqlite3_close(raw)
            throw error
        }
        self.handle = raw
        self.path = path
        sqlite3_extended_result_codes(raw, 1)
        try self.execute("PRAGMA journal_mode = WAL")
        try self.execute("PRAGMA synchronous = \(synchronous)")
        try self.execute("PRAGMA foreign_keys = ON")
        sqlite3_busy_timeout(raw, 5000)
    }

    deinit {
        sqlite3_close_v2(self.handle)
    }

    /// Runs one or more statements that return no rows.
    /// - Throws: ``SQLiteError``.
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(self.handle, sql, nil, nil, &message)
        if status != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_free(message)
            throw SQLiteError(code: status, message: text, operation: "execute on \(self.path)")
        }
    }

    /// Runs a query with text parameters and returns every row as text columns (`nil` for NULL).
    /// - Throws: ``SQLiteError``.
    public func query(_ sql: String, _ parameters: [String?] = []) throws(SQLiteError) -> [[String?]] {
        var statement: OpaquePointer?
        let prepared = sqlite3_prepare_v2(self.handle, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK, let statement else {
            throw SQLiteError(code: prepared, handle: self.handle, operation: "prepare on \(self.path)")
        }
        defer { sqlite3_finalize(statement) }
        for (index, parameter) in parameters.enumerated() {
            let position = Int32(index + 1)
            // SQLITE_TRANSIENT: SQLite copies the text before this call returns.
            let bound = parameter.map { sqlite3_bind_text(statement, position, $0, -1, Self.transient) } ?? sqlite3_bind_null(statement, position)
            guard bound == SQLITE_OK else {
                throw SQLiteError(code: bound, handle: self.handle, operation: "bind on \(self.path)")
            }
        }
        var rows: [[String?]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else {
                throw SQLiteError(code: step, handle: self.handle, operation: "query on \(self.path)")
            }
            let columns = sqlite3_column_count(statement)
            rows.append((0..<columns).map { column in
                sqlite3_column_text(statement, column).map { String(cString: $0) }
            })
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
