import ArbiterCore
import ArbiterJobs

/// The PostgreSQL side of ``StoreTransaction``: the SQL for jobs and attempts (workers, consents,
/// tokens and the audit log are in the extensions beside this file), used on one thread inside the
/// transaction the backend opened.
///
/// Several processes may write the same database, so in a write every job read that a change may
/// follow locks its row (`FOR UPDATE`; the scans for work to lease, leases to expire and jobs coming
/// due skip rows others hold): the `old` a ledger hands to ``updateJob(_:from:)`` is then the row as
/// stored. A read runs each statement on its own (autocommit) and locks nothing.
struct PostgresTransaction: StoreTransaction {
    enum Mode {
        /// Inside the backend's `BEGIN`…`COMMIT`.
        case write
        /// Autocommit: each statement sees the last commit.
        case read
    }

    let connection: PostgresConnection
    let state: TransactionState
    let mode: Mode
    let observer: any PostgresObserver

    /// The advisory lock (`pg_advisory_xact_lock`) that keeps appends to the audit chain one at a time
    /// across connections and processes: "Arbiter" in ASCII, then 1.
    static let auditLockKey: Int64 = 0x4172_6269_7465_7201

    /// ` FOR UPDATE` in a write; nothing in a read.
    var forUpdate: String { self.mode == .write ? " FOR UPDATE" : "" }
    /// ` FOR UPDATE SKIP LOCKED` in a write; nothing in a read.
    var forUpdateSkipLocked: String { self.mode == .write ? " FOR UPDATE SKIP LOCKED" : "" }

    // MARK: Statements

    /// Runs one statement. A lost connection (or a server going away) becomes ``StoreUnavailable``;
    /// other failures stay ``PostgresError`` and are remembered, so the backend can tell a deadlock.
    @discardableResult
    func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> [PostgresRow] {
        do throws(PostgresError) {
            return try self.connection.query(sql, parameters)
        } catch {
            throw self.failed(error)
        }
    }

    /// Runs statements without parameters (savepoints), as ``query(_:_:)`` does.
    func execute(_ sql: String) throws {
        do throws(PostgresError) {
            try self.connection.execute(sql)
        } catch {
            throw self.failed(error)
        }
    }

    /// Rows the last statement changed.
    var changes: Int { self.connection.rowsAffected }

    private func failed(_ error: PostgresError) -> any Error {
        self.state.lastFailure = error
        self.observer.queryFailed(error)
        return error.meansUnavailable ? StoreUnavailable("PostgreSQL is unavailable: \(error)") : error
    }

    /// Refuses a change in a read: there it would commit on its own, outside any transaction.
    func requireWrite() throws {
        guard self.mode == .write else {
            throw PostgresError(sqlState: PostgresError.ClientState.readOnly, message: "a read cannot change rows")
        }
    }

    // MARK: Jobs

    func job(id: String) throws -> JobRecord? {
        try self.query("SELECT \(PostgresJobRow.columns) FROM jobs WHERE id = $1\(self.forUpdate)", [.text(id)]).first.map(PostgresJobRow.decode)
    }

    func job(idempotencyKey: String) throws -> (job: JobRecord, requestHash: String?)? {
        guard let row = try self.query(
            "SELECT \(PostgresJobRow.columns), request_hash FROM jobs WHERE idempotency_key = $1", [.text(idempotencyKey)]).first
        else { return nil }
        return (try PostgresJobRow.decode(row), row[row.count - 1].text)
    }

    func insertJob(_ job: JobRecord, requestHash: String?) throws {
        try self.requireWrite()
        // A key another transaction holds makes this wait for it, then insert nothing: the ledger reads
        // that job instead. A unique violation would abort the whole transaction; this aborts nothing.
        try self.query(
            """
            INSERT INTO jobs (id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,
                timeout_ms, idempotency_key, request_hash, user_id, consent_scope, tags, created_at, updated_at, queued_at, dry_run)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text[], $17, $18, $19, $20)
            ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            """,
            [
                .text(job.id), .text(job.type), .text(job.payload), .int64(Int64(job.priority)), .text(job.state.rawValue),
                .int64(job.runAt), .int64(Int64(job.attempt)), .int64(Int64(job.retry.maxAttempts)),
                .int64(job.retry.initialBackoff.wholeMilliseconds), .int64(job.retry.maxBackoff.wholeMilliseconds),
                .int64(job.retry.timeout.wholeMilliseconds), PostgresValue(job.idempotencyKey), PostgresValue(requestHash),
                PostgresValue(job.userID), PostgresValue(job.consentScope), .text(PostgresArrayLiteral.encode(job.tags)), .int64(job.createdAt),
                .int64(job.updatedAt), PostgresValue(job.queuedAt), .int64(job.dryRun ? 1 : 0),
            ])
        if self.changes == 0, let key = job.idempotencyKey {
            throw StoreConflict.idempotencyKeyTaken(key)
        }
    }

    func updateJob(_ job: JobRecord, from old: JobRecord) throws {
        try self.requireWrite()
        let changed = job.changedColumns(from: old)
        guard !changed.isEmpty else { return }
        let assignments = changed.enumerated().map { "\($1.column) = $\($0 + 1)" }.joined(separator: ", ")
        try self.query(
            "UPDATE jobs SET \(assignments) WHERE id = $\(changed.count + 1)", changed.map { PostgresValue($0.value) } + [.text(job.id)])
    }

    func leasableJobs(types: [String], limit: Int) throws -> [JobRecord] {
        guard !types.isEmpty, limit > 0 else { return [] }
        // One index scan per type (jobs_dispatch gives each type's order), merged: `type = ANY(…)`
        // over the whole queue would read and sort every queued job on each lease. Each type locks at
        // most `limit` rows; those not returned stay locked until the commit, skipped by others.
        return try self.query(
            """
            SELECT leasable.* FROM unnest($1::text[]) AS wanted(job_type)
            CROSS JOIN LATERAL (
                SELECT \(PostgresJobRow.columns) FROM jobs WHERE state = 'queued' AND jobs.type = wanted.job_type
                ORDER BY priority DESC, run_at, id LIMIT $2\(self.forUpdateSkipLocked)
            ) AS leasable
            WHERE wanted.job_type NOT IN (SELECT type FROM job_type_state WHERE paused)
            ORDER BY leasable.priority DESC, leasable.run_at, leasable.id LIMIT $2
            """,
            [.text(PostgresArrayLiteral.encode(types)), .int64(Int64(limit))]
        ).map(PostgresJobRow.decode)
    }

    func runningCounts(types: [String]) throws -> [String: Int] {
        guard !types.isEmpty else { return [:] }
        // Counted under the lock every audited change takes (a lease appends `job.leased`): no other
        // process leases until this transaction ends, and this statement sees every lease committed
        // before, so a type's cap holds across processes. Taking it here, before any append, keeps
        // one lock order for every transaction.
        if self.mode == .write { _ = try self.auditHeadForAppend() }
        var running: [String: Int] = [:]
        for row in try self.query(
            "SELECT type, COUNT(*) FROM jobs WHERE state = 'running' AND type = ANY($1::text[]) GROUP BY type",
            [.text(PostgresArrayLiteral.encode(types))])
        {
            if let type = row[0].text { running[type] = Int(row[1].int64 ?? 0) }
        }
        return running
    }

    func expiredLeases(now: Int64, limit: Int) throws -> [JobRecord] {
        try self.query(
            """
            SELECT \(PostgresJobRow.columns) FROM jobs WHERE state = 'running' AND lease_expires_at <= $1
            ORDER BY lease_expires_at LIMIT $2\(self.forUpdateSkipLocked)
            """,
            [.int64(now), .int64(Int64(max(limit, 0)))]
        ).map(PostgresJobRow.decode)
    }

    func dueJobs(now: Int64, limit: Int) throws -> [JobRecord] {
        try self.query(
            "SELECT \(PostgresJobRow.columns) FROM jobs WHERE state = 'scheduled' AND run_at <= $1 ORDER BY run_at LIMIT $2\(self.forUpdateSkipLocked)",
            [.int64(now), .int64(Int64(max(limit, 0)))]
        ).map(PostgresJobRow.decode)
    }

    func unfinishedJobs(userID: String, scope: String) throws -> [JobRecord] {
        try self.query(
            """
            SELECT \(PostgresJobRow.columns) FROM jobs
            WHERE user_id = $1 AND consent_scope = $2 AND state IN ('scheduled', 'queued', 'running') ORDER BY id\(self.forUpdate)
            """,
            [.text(userID), .text(scope)]
        ).map(PostgresJobRow.decode)
    }

    func jobs(_ filter: JobFilter, after cursor: String?, limit: Int) throws -> [JobRecord] {
        let (sql, bound) = Self.conditions(filter, after: cursor).page(PostgresJobRow.columns, from: "jobs", orderBy: "id", limit: limit)
        return try self.query(sql, bound).map(PostgresJobRow.decode)
    }

    func countJobs(_ filter: JobFilter) throws -> Int {
        let conditions = Self.conditions(filter, after: nil)
        return Int(try self.query("SELECT COUNT(*) FROM jobs \(conditions.clause)", conditions.parameters).first?[0].int64 ?? 0)
    }

    private static func conditions(_ filter: JobFilter, after cursor: String?) -> PostgresFilter {
        // `@>` rather than `= ANY(tags)`: the GIN index on tags answers it. The search ignores case
        // (by the database's locale here; SQLite folds ASCII letters only).
        PostgresFilter(
            .jobs(filter, after: cursor, tagCondition: "tags @> ARRAY[?]::text[]", containsCondition: "payload ILIKE ? ESCAPE '\\'"))
    }

    func countsByType() throws -> [String: [JobState: Int]] {
        var counts: [String: [JobState: Int]] = [:]
        for row in try self.query("SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state") {
            guard let type = row[0].text, let state = row[1].text.flatMap(JobState.init(rawValue:)) else { continue }
            counts[type, default: [:]][state] = Int(row[2].int64 ?? 0)
        }
        return counts
    }

    func oldestQueuedByType() throws -> [String: Int64] {
        var oldest: [String: Int64] = [:]
        for row in try self.query(
            "SELECT type, MIN(GREATEST(run_at, COALESCE(queued_at, run_at))) FROM jobs WHERE state = 'queued' GROUP BY type")
        {
            if let type = row[0].text, let at = row[1].int64 { oldest[type] = at }
        }
        return oldest
    }

    func extendLeases(workerID: String, jobs: [String]?, until: Int64) throws {
        try self.requireWrite()
        if let jobs {
            try self.query(
                """
                UPDATE jobs SET lease_expires_at = $1 WHERE state = 'running' AND lease_worker_id = $2 AND lease_expires_at < $1
                    AND id = ANY($3::text[])
                """,
                [.int64(until), .text(workerID), .text(PostgresArrayLiteral.encode(jobs))])
        } else {
            try self.query(
                "UPDATE jobs SET lease_expires_at = $1 WHERE state = 'running' AND lease_worker_id = $2 AND lease_expires_at < $1",
                [.int64(until), .text(workerID)])
        }
    }

    func endLeases(workerID: String, except keep: [String], now: Int64) throws {
        try self.requireWrite()
        try self.query(
            """
            UPDATE jobs SET lease_expires_at = $1 WHERE state = 'running' AND lease_worker_id = $2 AND lease_expires_at > $1
                AND NOT (id = ANY($3::text[]))
            """,
            [.int64(now), .text(workerID), .text(PostgresArrayLiteral.encode(keep))])
    }

    // MARK: Attempts

    /// Numbered after the job's earlier attempts. Two transactions cannot number the same job's attempt
    /// at once: the lease that precedes it holds the job's row.
    func insertAttempt(jobID: String, workerID: String, token: Int64, startedAt: Int64) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO job_attempts (job_id, attempt, worker_id, lease_token, started_at)
            VALUES ($1, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM job_attempts WHERE job_id = $1), $2, $3, $4)
            """,
            [.text(jobID), .text(workerID), .int64(token), .int64(startedAt)])
    }

    func finishAttempt(jobID: String, token: Int64, outcome: String, error: String?, at: Int64) throws {
        try self.requireWrite()
        try self.query(
            "UPDATE job_attempts SET finished_at = $1, outcome = $2, error = $3 WHERE job_id = $4 AND lease_token = $5",
            [.int64(at), .text(outcome), PostgresValue(error), .text(jobID), .int64(token)])
    }

    func attemptCancelled(jobID: String, token: Int64) throws -> Bool {
        try !self.query(
            "SELECT 1 FROM job_attempts WHERE job_id = $1 AND lease_token = $2 AND outcome = 'cancelled'", [.text(jobID), .int64(token)]
        ).isEmpty
    }

    func attempts(jobID: String) throws -> [JobAttempt] {
        try self.query(
            "SELECT attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
            [.text(jobID)]
        ).map { row in
            JobAttempt(
                number: Int(row[0].int64 ?? 0), workerID: row[1].text ?? "", startedAt: row[2].int64 ?? 0, finishedAt: row[3].int64,
                outcome: row[4].text, error: row[5].text)
        }
    }

    // MARK: Job types

    func pausedTypes() throws -> Set<String> {
        Set(try self.query("SELECT type FROM job_type_state WHERE paused").compactMap { $0[0].text })
    }

    func setPaused(type: String, paused: Bool, at: Int64) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO job_type_state (type, paused, updated_at) VALUES ($1, $2, $3)
            ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
            """,
            [.text(type), .bool(paused), .int64(at)])
    }

    // MARK: Wake-ups and atomicity

    /// Kept until the commit, which sends one `NOTIFY` for the whole group (PostgreSQL delivers it at
    /// commit either way, and not at all if the transaction rolls back; a savepoint rolled back takes its
    /// announcements with it).
    func announceQueued(types: Set<String>) throws {
        guard !types.isEmpty else { return }
        switch self.mode {
        case .write: self.state.current.queuedTypes.formUnion(types)
        case .read: try self.execute(QueuedChannel.notifyStatement(for: types))
        }
    }

    func atomically<T>(_ body: () throws -> T) throws -> T {
        // A read has no transaction to undo anything in.
        guard self.mode == .write else { return try body() }
        let name = "arbiter_atomically_\(self.state.depth + 1)"
        try self.execute("SAVEPOINT \(name)")
        self.state.enterSavepoint()
        do {
            let result = try body()
            try self.execute("RELEASE SAVEPOINT \(name)")
            self.state.releaseSavepoint()
            return result
        } catch {
            try? self.execute("ROLLBACK TO SAVEPOINT \(name); RELEASE SAVEPOINT \(name)")
            self.state.discardSavepoint()
            throw error
        }
    }
}
