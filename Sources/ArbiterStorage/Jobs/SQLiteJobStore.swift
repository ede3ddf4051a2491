import ArbiterCore
import ArbiterJobs
import NIOPosix

/// The embedded job store: jobs in SQLite, every operation atomic, run on a thread of its own so the
/// Swift concurrency pool never blocks on disk. Concurrent operations are group-committed (see
/// ``GroupCommitExecutor``): many share one transaction and one fsync.
///
/// - Important: Call ``close()`` before dropping the store; it stops the store's thread.
public final class SQLiteJobStore: JobStore, Sendable {
    private let executor: GroupCommitExecutor
    private let checkpointer: WALCheckpointer
    /// Reads (API lookups, listings, the gauges' counts) run on a connection and thread of their own:
    /// in WAL mode they see the last commit and never hold up a commit.
    private let reader: SQLiteConnection
    private let readerThread: NIOThreadPool
    private let auditObserver: any AuditObserver
    private let auditing: Bool
    /// Consent checks and credential release, for submissions and leases.
    let consentGate: ConsentGate

    /// Opens the store at `path`; the schema must already be migrated (see ``SQLiteMigrator``).
    /// - Parameter onCommit: Told the size and duration of every group commit (for metrics).
    /// - Throws: ``SQLiteError`` naming the file.
    ///   - auditObserver: Told of every audit write and failure (for metrics).
    ///   - vault: Seals and opens users' credentials; without one, storing a credential is refused.
    ///   - consentObserver: Told of every consent check (for metrics).
    ///   - auditing: `false` writes no audit entries at all. Only for measuring what auditing costs: no
    ///     configuration key reaches it.
    public init(
        path: String, auditObserver: any AuditObserver = NoAuditObserver(), vault: CredentialVault? = nil,
        consentObserver: any ConsentObserver = NoConsentObserver(), auditing: Bool = true,
        onCommit: @escaping @Sendable (_ operations: Int, _ duration: Duration) -> Void = { _, _ in }
    ) throws {
        self.auditObserver = auditObserver
        self.auditing = auditing
        let cache = ConsentCache()
        self.consentGate = ConsentGate(vault: vault, observer: consentObserver, cache: cache)
        let connection = try SQLiteConnection(path: path)
        // Checkpoints run beside the commits, not inside them (see WALCheckpointer).
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        self.checkpointer = try WALCheckpointer(path: path)
        self.reader = try SQLiteConnection(path: path)
        self.readerThread = NIOThreadPool(numberOfThreads: 1)
        self.readerThread.start()
        self.executor = GroupCommitExecutor(connection: connection) { commit in
            if !commit.committed { cache.clear() }
            onCommit(commit.operations, commit.duration)
        }
    }

    /// Stops the store's thread after the operations already submitted.
    public func close() async throws {
        try await self.executor.shutdown()
        try await self.readerThread.shutdownGracefully()
        self.checkpointer.stop()
    }

    /// Runs `body` atomically in the next group commit, with an audit trail that writes in the same
    /// transaction on behalf of the calling task's ``AuditActor``.
    func run<T: Sendable>(now: Int64, _ body: @escaping @Sendable (SQLiteConnection, AuditTrail) throws -> T) async throws -> T {
        let (actor, observer, enabled) = (AuditActor.current, self.auditObserver, self.auditing)
        return try await self.executor.perform { connection in
            try body(connection, AuditTrail(connection: connection, actor: actor, now: now, observer: observer, enabled: enabled))
        }
    }

    /// Runs a read-only `body` on the reader connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await self.readerThread.runIfActive { [reader] in try body(reader) }
    }

    // MARK: JobStore

    public func job(id: String) async throws -> JobRecord? {
        try await self.read { connection in
            try connection.query("SELECT \(JobRow.columns) FROM jobs WHERE id = ?", [.text(id)]).first.map(JobRow.decode)
        }
    }

    public func attempts(jobID: String) async throws -> [JobAttempt] {
        try await self.read { connection in
            try connection.query(
                "SELECT attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts WHERE job_id = ? ORDER BY attempt",
                [.text(jobID)]
            ).map { row in
                JobAttempt(
                    number: Int(row[0].integer ?? 0), workerID: row[1].text ?? "", startedAt: row[2].integer ?? 0, finishedAt: row[3].integer,
                    outcome: row[4].text, error: row[5].text)
            }
        }
    }

    public func pausedTypes() async throws -> Set<String> {
        try await self.read { connection in
            Set(try connection.query("SELECT type FROM job_type_state WHERE paused = 1").compactMap { $0[0].text })
        }
    }

    public func countsByType() async throws -> [String: [JobState: Int]] {
        try await self.read { connection in
            var counts: [String: [JobState: Int]] = [:]
            for row in try connection.query("SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state") {
                guard let type = row[0].text, let state = row[1].text.flatMap(JobState.init(rawValue:)) else { continue }
                counts[type, default: [:]][state] = Int(row[2].integer ?? 0)
            }
            return counts
        }
    }

    public func oldestQueuedByType() async throws -> [String: Int64] {
        try await self.read { connection in
            var oldest: [String: Int64] = [:]
            for row in try connection.query("SELECT type, MIN(MAX(run_at, COALESCE(queued_at, run_at))) FROM jobs WHERE state = 'queued' GROUP BY type") {
                if let type = row[0].text, let at = row[1].integer { oldest[type] = at }
            }
            return oldest
        }
    }

    public func list(_ filter: JobFilter, after cursor: String?, limit: Int) async throws -> [JobRecord] {
        var conditions = SQLFilter()
        conditions.add("state = ?", filter.state.map { .text($0.rawValue) })
        conditions.add("type = ?", filter.type.map { .text($0) })
        conditions.add("user_id = ?", filter.userID.map { .text($0) })
        conditions.add("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE json_each.value = ?)", filter.tag.map { .text($0) })
        conditions.add("created_at >= ?", filter.createdAfter.map { .integer($0) })
        conditions.add("created_at < ?", filter.createdBefore.map { .integer($0) })
        conditions.add("lease_worker_id = ?", filter.leaseWorkerID.map { .text($0) })
        conditions.add("id > ?", cursor.map { .text($0) })
        let (sql, bound) = conditions.page(JobRow.columns, from: "jobs", orderBy: "id", limit: limit)
        return try await self.read { connection in
            try connection.query(sql, bound).map(JobRow.decode)
        }
    }
}
