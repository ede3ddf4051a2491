/// How large the store is, for `arbiter_store_size_bytes` and `arbiter_store_rows`.
public struct StoreStatistics: Sendable, Equatable {
    /// The database's size on disk (SQLite: the main file and its write-ahead log; PostgreSQL:
    /// `pg_database_size`).
    public var sizeBytes: Int64
    /// Rows per table: `jobs`, `job_attempts`, `audit_logs` (PostgreSQL: the planner's estimate).
    public var rows: [String: Int64]

    public init(sizeBytes: Int64, rows: [String: Int64]) {
        self.sizeBytes = sizeBytes
        self.rows = rows
    }
}

/// A finished job removed by retention.
public struct PrunedJob: Sendable, Equatable {
    public var id: String
    public var type: String
    public var state: JobState

    public init(id: String, type: String, state: JobState) {
        self.id = id
        self.type = type
        self.state = state
    }
}
