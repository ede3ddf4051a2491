import ArbiterCore
import ArbiterJobs

/// The SQLite side of ``StoreTransaction``: the SQL for jobs and attempts (workers, consents, tokens and
/// the audit log are in the extensions beside this file). Used on one thread, inside the transaction
/// the backend opened.
struct SQLiteTransaction: StoreTransaction {
    let connection: SQLiteConnection

    // MARK: Jobs

    func job(id: String) throws -> JobRecord? {
        try self.connection.query("SELECT \(JobRow.columns) FROM jobs WHERE id = ?", [.text(id)]).first.map(JobRow.decode)
    }

    func job(idempotencyKey: String) throws -> (job: JobRecord, requestHash: String?)? {
        guard let row = try self.connection.query(
            "SELECT \(JobRow.columns), request_hash FROM jobs WHERE idempotency_key = ?", [.text(idempotencyKey)]).first
        else { return nil }
        return (try JobRow.decode(row), row.last?.text)
    }

    func insertJob(_ job: JobRecord, requestHash: String?) throws {
        // One writer at a time: a key taken is seen by `job(idempotencyKey:)` first, never here.
        try self.connection.query(
            """
            INSERT INTO jobs (id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,
                timeout_ms, idempotency_key, request_hash, user_id, consent_scope, tags, created_at, updated_at, queued_at, dry_run)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(job.id), .text(job.type), .text(job.payload), .integer(Int64(job.priority)), .text(job.state.rawValue),
                .integer(job.runAt), .integer(Int64(job.attempt)), .integer(Int64(job.retry.maxAttempts)),
                .integer(job.retry.initialBackoff.wholeMilliseconds), .integer(job.retry.maxBackoff.wholeMilliseconds),
                .integer(job.retry.timeout.wholeMilliseconds), SQLiteValue(job.idempotencyKey), SQLiteValue(requestHash),
                SQLiteValue(job.userID), SQLiteValue(job.consentScope), .text(JobRow.encodeTags(job.tags)), .integer(job.createdAt),
                .integer(job.updatedAt), SQLiteValue(job.queuedAt), .integer(job.dryRun ? 1 : 0),
            ])
    }

    func updateJob(_ job: JobRecord, from old: JobRecord) throws {
        let changed = job.changedColumns(from: old)
        guard !changed.isEmpty else { return }
        let assignments = changed.map { "\($0.column) = ?" }.joined(separator: ", ")
        try self.connection.query("UPDATE jobs SET \(assignments) WHERE id = ?", changed.map { SQLiteValue($0.value) } + [.text(job.id)])
    }

    func leasableJobs(types: [String], limit: Int) throws -> [JobRecord] {
        guard !types.isEmpty else { return [] }
        return try self.connection.query(
            """
            SELECT \(JobRow.columns) FROM jobs WHERE state = 'queued' AND type IN (\(Self.placeholders(types.count)))
                AND type NOT IN (SELECT type FROM job_type_state WHERE paused = 1)
            ORDER BY priority DESC, run_at, id LIMIT ?
            """,
            types.map { .text($0) } + [.integer(Int64(limit))]
        ).map(JobRow.decode)
    }

    func runningCounts(types: [String]) throws -> [String: Int] {
        var running: [String: Int] = [:]
        for row in try self.connection.query(
            "SELECT type, COUNT(*) FROM jobs WHERE state = 'running' AND type IN (\(Self.placeholders(types.count))) GROUP BY type",
            types.map { .text($0) })
        {
            if let type = row[0].text { running[type] = Int(row[1].integer ?? 0) }
        }
        return running
    }

    func expiredLeases(now: Int64, limit: Int) throws -> [JobRecord] {
        try self.connection.query(
            "SELECT \(JobRow.columns) FROM jobs WHERE state = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?",
            [.integer(now), .integer(Int64(limit))]
        ).map(JobRow.decode)
    }

    func dueJobs(now: Int64, limit: Int) throws -> [JobRecord] {
        try self.connection.query(
            "SELECT \(JobRow.columns) FROM jobs WHERE state = 'scheduled' AND run_at <= ? ORDER BY run_at LIMIT ?",
            [.integer(now), .integer(Int64(limit))]
        ).map(JobRow.decode)
    }

    func unfinishedJobs(userID: String, scope: String) throws -> [JobRecord] {
        try self.connection.query(
            """
            SELECT \(JobRow.columns) FROM jobs
            WHERE user_id = ? AND consent_scope = ? AND state IN ('scheduled', 'queued', 'running') ORDER BY id
            """,
            [.text(userID), .text(scope)]
        ).map(JobRow.decode)
    }

    func jobs(_ filter: JobFilter, after cursor: String?, limit: Int) throws -> [JobRecord] {
        let (sql, bound) = Self.conditions(filter, after: cursor).page(JobRow.columns, from: "jobs", orderBy: "id", limit: limit)
        return try self.connection.query(sql, bound).map(JobRow.decode)
    }

    func countJobs(_ filter: JobFilter) throws -> Int {
        let conditions = Self.conditions(filter, after: nil)
        return Int(try self.connection.query("SELECT COUNT(*) FROM jobs \(conditions.clause)", conditions.parameters).first?[0].integer ?? 0)
    }

    private static func conditions(_ filter: JobFilter, after cursor: String?) -> SQLFilter {
        SQLFilter(
            .jobs(
                filter, after: cursor, tagCondition: "EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE json_each.value = ?)",
                containsCondition: "payload LIKE ? ESCAPE '\\'"))
    }

    func countsByType() throws -> [String: [JobState: Int]] {
        var counts: [String: [JobState: Int]] = [:]
        for row in try self.connection.query("SELECT type, state, COUNT(*) FROM jobs GROUP BY type, state") {
            guard let type = row[0].text, let state = row[1].text.flatMap(JobState.init(rawValue:)) else { continue }
            counts[type, default: [:]][state] = Int(row[2].integer ?? 0)
        }
        return counts
    }

    func oldestQueuedByType() throws -> [String: Int64] {
        var oldest: [String: Int64] = [:]
        for row in try self.connection.query(
            "SELECT type, MIN(MAX(run_at, COALESCE(queued_at, run_at))) FROM jobs WHERE state = 'queued' GROUP BY type")
        {
            if let type = row[0].text, let at = row[1].integer { oldest[type] = at }
        }
        return oldest
    }

    func extendLeases(workerID: String, jobs: [String]?, until: Int64) throws {
        if let jobs {
            try self.connection.query(
                """
                UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at < ?
                    AND id IN (SELECT value FROM json_each(?))
                """,
                [.integer(until), .text(workerID), .integer(until), .text(JobRow.encodeTags(jobs))])
        } else {
            try self.connection.query(
                "UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at < ?",
                [.integer(until), .text(workerID), .integer(until)])
        }
    }

    func endLeases(workerID: String, except keep: [String], now: Int64) throws {
        try self.connection.query(
            """
            UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at > ?
                AND id NOT IN (SELECT value FROM json_each(?))
            """,
            [.integer(now), .text(workerID), .integer(now), .text(JobRow.encodeTags(keep))])
    }

    // MARK: Attempts

    func insertAttempt(jobID: String, workerID: String, token: Int64, startedAt: Int64) throws {
        try self.connection.query(
            """
            INSERT INTO job_attempts (job_id, attempt, worker_id, lease_token, started_at)
            VALUES (?1, (SELECT COALESCE(MAX(attempt), 0) + 1 FROM job_attempts WHERE job_id = ?1), ?2, ?3, ?4)
            """,
            [.text(jobID), .text(workerID), .integer(token), .integer(startedAt)])
    }

    func finishAttempt(jobID: String, token: Int64, outcome: String, error: String?, at: Int64) throws {
        try self.connection.query(
            "UPDATE job_attempts SET finished_at = ?, outcome = ?, error = ? WHERE job_id = ? AND lease_token = ?",
            [.integer(at), .text(outcome), SQLiteValue(error), .text(jobID), .integer(token)])
    }

    func attemptCancelled(jobID: String, token: Int64) throws -> Bool {
        try !self.connection.query(
            "SELECT 1 FROM job_attempts WHERE job_id = ? AND lease_token = ? AND outcome = 'cancelled'", [.text(jobID), .integer(token)]
        ).isEmpty
    }

    func attempts(jobID: String) throws -> [JobAttempt] {
        try self.connection.query(
            "SELECT attempt, worker_id, started_at, finished_at, outcome, error FROM job_attempts WHERE job_id = ? ORDER BY attempt",
            [.text(jobID)]
        ).map { row in
            JobAttempt(
                number: Int(row[0].integer ?? 0), workerID: row[1].text ?? "", startedAt: row[2].integer ?? 0, finishedAt: row[3].integer,
                outcome: row[4].text, error: row[5].text)
        }
    }

    // MARK: Job types

    func pausedTypes() throws -> Set<String> {
        Set(try self.connection.query("SELECT type FROM job_type_state WHERE paused = 1").compactMap { $0[0].text })
    }

    func setPaused(type: String, paused: Bool, at: Int64) throws {
        try self.connection.query(
            """
            INSERT INTO job_type_state (type, paused, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
            """,
            [.text(type), .integer(paused ? 1 : 0), .integer(at)])
    }

    // MARK: Wake-ups and atomicity

    /// One process per SQLite store: the scheduler that stored the work wakes its own loops.
    func announceQueued(types: Set<String>) throws {}

    func atomically<T>(_ body: () throws -> T) throws -> T {
        try self.connection.transaction(body)
    }

    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}

extension SQLiteValue {
    init(_ value: StoreValue) {
        switch value {
        case .null: self = .null
        case .integer(let integer): self = .integer(integer)
        case .text(let text): self = .text(text)
        }
    }
}
