import CSQLite
import Glibc

/// One SQLite connection.
///
/// - Important: Not for concurrent use: every call blocks, so callers run them on a dedicated thread
///   (see ``SQLiteDatabase``), never on the Swift concurrency pool, and one call at a time.
// Safety (@unchecked Sendable): the handle is only used by one thread at a time, as above, and is
// closed exactly once in deinit.
public final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// Prepared statements by SQL text: the store runs the same few statements over and over.
    private var statements: [String: OpaquePointer] = [:]
    /// The audit chain's head as this connection's open transaction left it (`.some(nil)`: the chain
    /// is empty), so that each entry does not read it again; `nil` when unknown. Kept only while a
    /// transaction is open, and put back when a savepoint rolls back (the store has one writer, whose
    /// transaction holds the chain).
    var auditHeadInTransaction: (seq: Int64, hash: [UInt8])??
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
        // Statement journals (each grouped operation's savepoint) and sorts in memory: in a file (the
        // default of Debian's build) every savepoint wrote through the file system and every commit
        // created and deleted one, about four writes in five of a drain. Crash recovery does not use them.
        try self.execute("PRAGMA temp_store = MEMORY")
        // Another process holding the write lock (an `arbiter audit archive` beside the daemon) is waited
        // for in 1 ms steps for up to 5 s: SQLite's own busy timeout backs off to 100 ms sleeps, which
        // would hold every commit up to 100 ms past the lock's release.
        sqlite3_busy_handler(raw, { _, tries in
            guard tries < 5000 else { return 0 }
            usleep(1000)
            return 1
        }, nil)
    }

    deinit {
        for statement in self.statements.values { sqlite3_finalize(statement) }
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

    /// Runs one statement with parameters and returns every row.
    /// - Throws: ``SQLiteError``.
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let (statement, cached) = try self.prepared(sql)
        defer {
            if cached {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        for (index, parameter) in parameters.enumerated() {
            let position = Int32(index + 1)
            // SQLITE_TRANSIENT: SQLite copies text and blobs before the bind call returns.
            let bound: Int32
            switch parameter {
            case .integer(let value): bound = sqlite3_bind_int64(statement, position, value)
            case .real(let value): bound = sqlite3_bind_double(statement, position, value)
            // By length, not up to the first NUL: JSON's "\u0000" puts U+0000 in text, and a cut-short
            // value would differ from what was checked, hashed into the audit chain and answered.
            case .text(let value): bound = sqlite3_bind_text(statement, position, value, Int32(value.utf8.count), Self.transient)
            case .blob(let value): bound = value.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), Self.transient) }
            case .null: bound = sqlite3_bind_null(statement, position)
            }
            guard bound == SQLITE_OK else {
                throw SQLiteError(code: bound, handle: self.handle, operation: "bind on \(self.path)")
            }
        }
        var rows: [[SQLiteValue]] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else {
                throw SQLiteError(code: step, handle: self.handle, operation: "query on \(self.path)")
            }
            let columns = sqlite3_column_count(statement)
            rows.append((0..<columns).map { Self.column(statement, $0) })
        }
    }

    /// The statement for `sql`, and whether it is kept in the cache (else the caller finalizes it).
    private func prepared(_ sql: String) throws(SQLiteError) -> (OpaquePointer, cached: Bool) {
        if let cached = self.statements[sql] { return (cached, true) }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(self.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else {
            throw SQLiteError(code: status, handle: self.handle, operation: "prepare on \(self.path)")
        }
        // Statements built with a variable number of placeholders are not worth keeping forever.
        guard self.statements.count < 256 else { return (statement, false) }
        self.statements[sql] = statement
        return (statement, true)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(self.handle)) }

    /// Whether a transaction is open on this connection.
    public var inTransaction: Bool { sqlite3_get_autocommit(self.handle) == 0 }

    /// Runs `body` atomically, rolling back what it did if it throws. Outside a transaction this is a
    /// transaction of its own (`BEGIN IMMEDIATE`, so writers queue up front); inside one (a group
    /// commit) it is a savepoint, so a refused operation undoes only its own changes.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let nested = self.inTransaction
        let head = self.auditHeadInTransaction
        if !nested { self.auditHeadInTransaction = nil }
        try self.execute(nested ? "SAVEPOINT operation" : "BEGIN IMMEDIATE")
        do {
            let result = try body()
            try self.execute(nested ? "RELEASE operation" : "COMMIT")
            if !nested { self.auditHeadInTransaction = nil }
            return result
        } catch {
            try? self.execute(nested ? "ROLLBACK TO operation; RELEASE operation" : "ROLLBACK")
            self.auditHeadInTransaction = nested ? head : nil
            throw error
        }
    }

    /// Begins, commits or rolls back a transaction spanning several ``transaction(_:)`` calls (a group commit).
    func beginGroup() throws {
        self.auditHeadInTransaction = nil
        try self.execute("BEGIN IMMEDIATE")
    }

    func endGroup(commit: Bool) throws {
        defer { self.auditHeadInTransaction = nil }
        try self.execute(commit ? "COMMIT" : "ROLLBACK")
    }

    private static func column(_ statement: OpaquePointer, _ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // sqlite3_column_text before sqlite3_column_bytes, as SQLite asks; by length, so U+0000 survives.
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
