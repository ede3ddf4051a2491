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

    /// Opens the store at `path`; the schema must already be migrated (see ``SQLiteMigrator``).
    /// - Parameter onCommit: Told the size and duration of every group commit (for metrics).
    /// - Throws: ``SQLiteError`` naming the file.
    public init(path: String, onCommit: @escaping @Sendable (_ operations: Int, _ duration: Duration) -> Void = { _, _ in }) throws {
        let connection = try SQLiteConnection(path: path)
        // Checkpoints run beside the commits, not inside them (see WALCheckpointer).
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        self.checkpointer = try WALCheckpointer(path: path)
        self.reader = try SQLiteConnection(path: path)
        self.readerThread = NIOThreadPool(numberOfThreads: 1)
        self.readerThread.start()
        self.executor = GroupCommitExecutor(connection: connection) { onCommit($0.operations, $0.duration) }
    }

    /// Stops the store's thread after the operations already submitted.
    public func close() async throws {
        try await self.executor.shutdown()
        try await self.readerThread.shutdownGracefully()
        self.checkpointer.stop()
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await self.executor.perform(body)
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

    public func lease(
        types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, limits: LeaseLimits, now: Int64
    ) async throws -> [JobRecord] {
        let request = LeaseRequest(types: types, workerID: workerID, limit: limit, leaseMilliseconds: leaseMilliseconds, limits: limits)
        guard request.canLease else { return [] }
        return try await self.run { connection in try Self.lease(request, now: now, connection) }
    }

    public func submit(_ submissions: [JobSubmission], now: Int64, thenLease request: LeaseRequest?) async throws -> JobSubmitResult {
        try await self.run { connection in
            let outcomes = try connection.transaction {
                try submissions.enumerated().map { index, submission in
                    try Self.insert(submission, index: index, now: now, connection)
                }
            }
            guard let request, request.canLease else { return JobSubmitResult(outcomes: outcomes, leased: []) }
            // The jobs are stored either way; a lease that fails leaves them queued for the dispatch loops.
            return JobSubmitResult(outcomes: outcomes, leased: (try? Self.lease(request, now: now, connection)) ?? [])
        }
    }

    public func complete(id: String, token: Int64, result: String?, now: Int64) async throws -> JobRecord {
        try await self.run { connection in try Self.complete(id, token: token, result: result, now: now, connection) }
    }

    public func fail(id: String, token: Int64, error: String, retryDelay: Int64, now: Int64) async throws -> JobRecord {
        try await self.run { connection in try Self.fail(id, token: token, error: error, retryDelay: { _ in retryDelay }, now: now, connection) }
    }

    public func extendLease(id: String, token: Int64, leaseMilliseconds: Int64, now: Int64) async throws -> JobRecord {
        try await self.run { connection in try Self.extendLease(id, token: token, leaseMilliseconds: leaseMilliseconds, now: now, connection) }
    }

    public func report(_ reports: [JobReport], leaseMilliseconds: Int64, now: Int64) async throws -> [Result<JobRecord, JobStoreError>] {
        try await self.run { connection in
            var random = SystemRandomNumberGenerator()
            return try reports.map { report in
                do {
                    switch report.outcome {
                    case .succeeded(let result):
                        return .success(try Self.complete(report.jobID, token: report.token, result: result, now: now, connection))
                    case .failed(let error):
                        let delay = { (job: JobRecord) in job.retry.delay(afterAttempt: job.attempt, using: &random).wholeMilliseconds }
                        return .success(try Self.fail(report.jobID, token: report.token, error: error, retryDelay: delay, now: now, connection))
                    case .progress:
                        return .success(try Self.extendLease(report.jobID, token: report.token, leaseMilliseconds: leaseMilliseconds, now: now, connection))
                    }
                } catch let refusal as JobStoreError {
                    return .failure(refusal)
                }
            }
        }
    }

    /// Leases queued jobs to a worker within the request's limits (one atomic step on the store's thread).
    private static func lease(_ request: LeaseRequest, now: Int64, _ connection: SQLiteConnection) throws -> [JobRecord] {
        let (types, workerID, limit, leaseMilliseconds, limits) = (
            request.leasableTypes, request.workerID, request.limit, request.leaseMilliseconds, request.limits
        )
        return try connection.transaction {
            // A draining or offline worker takes no new work.
            let refused = try connection.query(
                "SELECT 1 FROM workers WHERE id = ? AND state IN ('draining', 'offline')", [.text(workerID)])
            guard refused.isEmpty else { return [] }
            let placeholders = Array(repeating: "?", count: types.count).joined(separator: ", ")
            let candidates = try connection.query(
                """
                SELECT \(JobRow.columns) FROM jobs WHERE state = 'queued' AND type IN (\(placeholders))
                    AND type NOT IN (SELECT type FROM job_type_state WHERE paused = 1)
                ORDER BY priority DESC, run_at, id LIMIT ?
                """,
                // Capped types may be skipped below, so look further than `limit` when there are caps.
                types.map { .text($0) } + [.integer(Int64(limits == LeaseLimits() ? limit : limit * 4))])
            // Running counts per limited type, so no type goes over its limit (leases are serialized here).
            var running: [String: Int] = [:]
            if !limits.concurrency.isEmpty {
                for row in try connection.query("SELECT type, COUNT(*) FROM jobs WHERE state = 'running' GROUP BY type") {
                    if let type = row[0].text { running[type] = Int(row[1].integer ?? 0) }
                }
            }
            var leased: [JobRecord] = []
            var quotas = limits.quotas
            for row in candidates {
                var job = try JobRow.decode(row)
                if let cap = limits.concurrency[job.type], running[job.type, default: 0] >= cap { continue }
                if let quota = quotas[job.type] {
                    guard quota > 0 else { continue }
                    quotas[job.type] = quota - 1
                }
                var lifecycle = job.lifecycle
                guard (try? lifecycle.apply(.leased)) != nil else { continue }
                let token = Int64.random(in: 1...Int64.max)
                try connection.query(
                    """
                    UPDATE jobs SET state = 'running', attempt = ?, lease_worker_id = ?, lease_token = ?, lease_expires_at = ?,
                        started_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'
                    """,
                    [.integer(Int64(lifecycle.attempts)), .text(workerID), .integer(token), .integer(now + leaseMilliseconds),
                     .integer(now), .integer(now), .text(job.id)])
                try connection.query(
                    "INSERT INTO job_attempts (job_id, attempt, worker_id, lease_token, started_at) VALUES (?, ?, ?, ?, ?)",
                    [.text(job.id), .integer(Int64(lifecycle.attempts)), .text(workerID), .integer(token), .integer(now)])
                running[job.type, default: 0] += 1
                job.state = .running
                job.attempt = lifecycle.attempts
                job.lease = JobLease(workerID: workerID, token: token, expiresAt: now + leaseMilliseconds)
                job.updatedAt = now
                job.startedAt = now
                leased.append(job)
            }
            return leased
        }
    }

    // MARK: Reports (on the store's thread, each atomic)

    private static func complete(_ id: String, token: Int64, result: String?, now: Int64, _ connection: SQLiteConnection) throws -> JobRecord {
        try connection.transaction {
            let job = try Self.leasedJob(id, token: token, connection)
            var lifecycle = job.lifecycle
            _ = try lifecycle.apply(.succeeded)
            try connection.query(
                """
                UPDATE jobs SET state = 'succeeded', result = ?, lease_worker_id = NULL, lease_token = NULL, lease_expires_at = NULL,
                    finished_at = ?, updated_at = ? WHERE id = ?
                """,
                [SQLiteValue(result), .integer(now), .integer(now), .text(id)])
            try Self.finishAttempt(job, outcome: "succeeded", error: nil, now: now, connection)
            var done = job
            done.state = .succeeded
            done.result = result
            done.lease = nil
            done.finishedAt = now
            done.updatedAt = now
            return done
        }
    }

    private static func fail(
        _ id: String, token: Int64, error: String, retryDelay: (JobRecord) -> Int64, now: Int64, _ connection: SQLiteConnection
    ) throws -> JobRecord {
        try connection.transaction {
            let job = try Self.leasedJob(id, token: token, connection)
            var lifecycle = job.lifecycle
            _ = try lifecycle.apply(.failed)
            let dead = lifecycle.state == .dead
            try connection.query(
                """
                UPDATE jobs SET state = ?, run_at = ?, last_error = ?, lease_worker_id = NULL, lease_token = NULL,
                    lease_expires_at = NULL, finished_at = ?, updated_at = ? WHERE id = ?
                """,
                [.text(lifecycle.state.rawValue), .integer(dead ? job.runAt : now + max(retryDelay(job), 0)), .text(error),
                 dead ? .integer(now) : .null, .integer(now), .text(id)])
            try Self.finishAttempt(job, outcome: "failed", error: error, now: now, connection)
            return try Self.load(id, connection)
        }
    }

    private static func extendLease(_ id: String, token: Int64, leaseMilliseconds: Int64, now: Int64, _ connection: SQLiteConnection) throws -> JobRecord {
        try connection.transaction {
            let job = try Self.leasedJob(id, token: token, connection)
            try connection.query(
                "UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ?", [.integer(now + leaseMilliseconds), .integer(now), .text(id)])
            if let worker = job.lease?.workerID {
                try connection.query("UPDATE workers SET last_heartbeat_at = ? WHERE id = ?", [.integer(now), .text(worker)])
            }
            return try Self.load(id, connection)
        }
    }

    public func expireLeases(now: Int64) async throws -> [JobRecord] {
        try await self.run { connection in
            try connection.transaction {
                let expired = try connection.query(
                    "SELECT \(JobRow.columns) FROM jobs WHERE state = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at", [.integer(now)])
                var changed: [JobRecord] = []
                for row in expired {
                    let job = try JobRow.decode(row)
                    var lifecycle = job.lifecycle
                    _ = try lifecycle.apply(.leaseExpired)
                    let dead = lifecycle.state == .dead
                    try connection.query(
                        """
                        UPDATE jobs SET state = ?, last_error = 'lease expired', lease_worker_id = NULL, lease_token = NULL,
                            lease_expires_at = NULL, queued_at = ?, finished_at = ?, updated_at = ? WHERE id = ?
                        """,
                        [.text(lifecycle.state.rawValue), dead ? .null : .integer(now), dead ? .integer(now) : .null, .integer(now), .text(job.id)])
                    try Self.finishAttempt(job, outcome: "lease_expired", error: "lease expired", now: now, connection)
                    changed.append(try Self.load(job.id, connection))
                }
                return changed
            }
        }
    }

    public func promoteDueJobs(now: Int64) async throws -> Int {
        try await self.run { connection in
            try connection.query(
                "UPDATE jobs SET state = 'queued', queued_at = ?, updated_at = ? WHERE state = 'scheduled' AND run_at <= ?",
                [.integer(now), .integer(now), .integer(now)])
            return connection.changes
        }
    }

    public func cancel(id: String, reason: String, now: Int64) async throws -> (job: JobRecord, revokedLease: JobLease?) {
        try await self.run { connection in
            try connection.transaction {
                let job = try Self.load(id, connection)
                _ = try Self.transition(job, .cancel, refusal: "job \(id) is \(job.state.rawValue) and cannot be cancelled")
                try connection.query(
                    """
                    UPDATE jobs SET state = 'cancelled', cancel_reason = ?, lease_worker_id = NULL, lease_token = NULL,
                        lease_expires_at = NULL, finished_at = ?, updated_at = ? WHERE id = ?
                    """,
                    [.text(reason), .integer(now), .integer(now), .text(id)])
                if job.state == .running {
                    try Self.finishAttempt(job, outcome: "cancelled", error: reason, now: now, connection)
                }
                return (try Self.load(id, connection), job.lease)
            }
        }
    }

    public func retry(id: String, now: Int64) async throws -> JobRecord {
        try await self.run { connection in
            try connection.transaction {
                let job = try Self.load(id, connection)
                _ = try Self.transition(job, .retry, refusal: "job \(id) is \(job.state.rawValue); only dead or cancelled jobs can be retried")
                try connection.query(
                    """
                    UPDATE jobs SET state = 'queued', attempt = 0, run_at = ?, cancel_reason = NULL, finished_at = NULL,
                        queued_at = ?, updated_at = ? WHERE id = ?
                    """,
                    [.integer(now), .integer(now), .integer(now), .text(id)])
                return try Self.load(id, connection)
            }
        }
    }

    public func setPaused(type: String, paused: Bool, now: Int64) async throws {
        _ = try await self.run { connection in
            try connection.query(
                """
                INSERT INTO job_type_state (type, paused, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
                """,
                [.text(type), .integer(paused ? 1 : 0), .integer(now)])
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
        var conditions: [String] = []
        var parameters: [SQLiteValue] = []
        func add(_ condition: String, _ value: SQLiteValue?) {
            guard let value else { return }
            conditions.append(condition)
            parameters.append(value)
        }
        add("state = ?", filter.state.map { .text($0.rawValue) })
        add("type = ?", filter.type.map { .text($0) })
        add("user_id = ?", filter.userID.map { .text($0) })
        add("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE json_each.value = ?)", filter.tag.map { .text($0) })
        add("created_at >= ?", filter.createdAfter.map { .integer($0) })
        add("created_at < ?", filter.createdBefore.map { .integer($0) })
        add("lease_worker_id = ?", filter.leaseWorkerID.map { .text($0) })
        // Ids are UUIDv7, so id order is creation order and the cursor is just the last id seen.
        add("id > ?", cursor.map { .text($0) })
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(JobRow.columns) FROM jobs \(condition) ORDER BY id LIMIT ?"
        let bound = parameters + [.integer(Int64(max(limit, 0)))]
        return try await self.read { connection in
            try connection.query(sql, bound).map(JobRow.decode)
        }
    }

    // MARK: Helpers (on the store's thread)

    private static func insert(_ submission: JobSubmission, index: Int, now: Int64, _ connection: SQLiteConnection) throws -> JobSubmitOutcome {
        if let key = submission.idempotencyKey {
            let rows = try connection.query("SELECT \(JobRow.columns), request_hash FROM jobs WHERE idempotency_key = ?", [.text(key)])
            if let row = rows.first {
                guard row.last?.text == submission.requestHash else {
                    throw JobStoreError(.idempotencyConflict, "idempotency_key \"\(key)\" was already used for a different request", index: index)
                }
                return .existing(try JobRow.decode(row))
            }
        }
        let id = UUIDv7.generate(now: now)
        let state: JobState = submission.runAt > now ? .scheduled : .queued
        try connection.query(
            """
            INSERT INTO jobs (id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms,
                timeout_ms, idempotency_key, request_hash, user_id, consent_scope, tags, created_at, updated_at, queued_at)
            VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(id), .text(submission.type), .text(submission.payload), .integer(Int64(submission.priority)),
                .text(state.rawValue), .integer(submission.runAt), .integer(Int64(submission.retry.maxAttempts)),
                .integer(submission.retry.initialBackoff.wholeMilliseconds), .integer(submission.retry.maxBackoff.wholeMilliseconds),
                .integer(submission.retry.timeout.wholeMilliseconds), SQLiteValue(submission.idempotencyKey),
                SQLiteValue(submission.requestHash), SQLiteValue(submission.userID), SQLiteValue(submission.consentScope),
                .text(JobRow.encodeTags(submission.tags)), .integer(now), .integer(now), state == .queued ? .integer(now) : .null,
            ])
        return .created(try self.load(id, connection))
    }

    /// The job's lifecycle after `event`, or an `illegalTransition` refusal with `refusal` as its message.
    private static func transition(_ job: JobRecord, _ event: JobEvent, refusal: String) throws -> JobLifecycle {
        var lifecycle = job.lifecycle
        do {
            _ = try lifecycle.apply(event)
        } catch {
            throw JobStoreError(.illegalTransition, refusal)
        }
        return lifecycle
    }

    private static func load(_ id: String, _ connection: SQLiteConnection) throws -> JobRecord {
        guard let row = try connection.query("SELECT \(JobRow.columns) FROM jobs WHERE id = ?", [.text(id)]).first else {
            throw JobStoreError(.notFound, "job \(id) does not exist")
        }
        return try JobRow.decode(row)
    }

    /// The job, if `token` is its current lease; otherwise the report is stale and refused.
    private static func leasedJob(_ id: String, token: Int64, _ connection: SQLiteConnection) throws -> JobRecord {
        let job = try self.load(id, connection)
        guard job.state == .running, let lease = job.lease, lease.token == token else {
            let cancelled = try connection.query(
                "SELECT 1 FROM job_attempts WHERE job_id = ? AND lease_token = ? AND outcome = 'cancelled'", [.text(id), .integer(token)])
            if !cancelled.isEmpty {
                throw JobStoreError(.jobCancelled, "job \(id) was cancelled (\(job.cancelReason ?? "no reason given")); stop working on it")
            }
            throw JobStoreError(.staleLease, "lease token \(token) is not the current lease of job \(id) (the job is \(job.state.rawValue))")
        }
        return job
    }

    private static func finishAttempt(_ job: JobRecord, outcome: String, error: String?, now: Int64, _ connection: SQLiteConnection) throws {
        try connection.query(
            "UPDATE job_attempts SET finished_at = ?, outcome = ?, error = ? WHERE job_id = ? AND attempt = ?",
            [.integer(now), .text(outcome), SQLiteValue(error), .text(job.id), .integer(Int64(job.attempt))])
    }
}
