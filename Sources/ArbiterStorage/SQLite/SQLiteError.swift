import CSQLite

/// A failed SQLite call: the result code, SQLite's message and what Arbiter was doing.
public struct SQLiteError: Error, CustomStringConvertible {
    /// SQLite's (extended) result code.
    public let code: Int32
    /// SQLite's explanation.
    public let message: String
    /// What was being attempted, such as `open /var/lib/arbiter/arbiter.db`.
    public let operation: String

    init(code: Int32, message: String, operation: String) {
        self.code = code
        self.message = message
        self.operation = operation
    }

    init(code: Int32, handle: OpaquePointer?, operation: String) {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
        self.init(code: code, message: message, operation: operation)
    }

    public var description: String { "\(self.operation): \(self.message) (SQLite code \(self.code))" }
}
