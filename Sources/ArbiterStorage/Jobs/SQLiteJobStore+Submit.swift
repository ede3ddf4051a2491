import ArbiterCore
import ArbiterJobs

// Submission and leasing: each runs on the store's thread in one transaction, audited in it.
extension SQLiteJobStore {
    public func submit(_ submissions: [JobSubmission], now: Int64, thenLease request: LeaseRequest?) async throws -> JobSubmitResult {
        let gate = self.consentGate
        return try await self.run(now: now) { connection, audit in
            let outcomes = try connection.transaction {
                try submissions.enumerated().map { index, submission in
                    try Self.insert(submission, index: index, now: now, gate, connection, audit)
                }
            }
            guard let request, request.canLease else { return JobSubmitResult(outcomes: outcomes, leased: []) }
            // The jobs are stored either way; a lease that fails leaves them queued for the dispatch loops.
            return JobSubmitResult(outcomes: outcomes, leased: (try? Self.lease(request, now: now, gate, connection, audit)) ?? [])
        }
    }

    public func lease(
        types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, limits: LeaseLimits, now: Int64
    ) async throws -> [JobRecord] {
        let request = LeaseRequest(types: types, workerID: workerID, limit: limit, leaseMilliseconds: leaseMilliseconds, limits: limits)
        guard request.canLease else { return [] }
        let gate = self.consentGate
        return try await self.run(now: now) { connection, audit in try Self.lease(request, now: now, gate, connection, audit) }
    }

    private static func insert(
        _ submission: JobSubmission, index: Int, now: Int64, _ gate: ConsentGate, _ connection: SQLiteConnection, _ audit: AuditTrail
    ) throws -> JobSubmitOutcome {
        if let key = submission.idempotencyKey {
            let rows = try connection.query("SELECT \(JobRow.columns), request_hash FROM jobs WHERE idempotency_key = ?", [.text(key)])
            if let row = rows.first {
                guard row.last?.text == submission.requestHash else {
                    throw JobStoreError(.idempotencyConflict, "idempotency_key \"\(key)\" was already used for a different request", index: index)
                }
                return .existing(try JobRow.decode(row))
            }
        }
        // Checked in the same transaction as the insert: a revocation cannot slip in between.
        try gate.checkSubmission(submission, index: index, now: now, connection)
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
        var details = [("type", submission.type), ("state", state.rawValue)]
        if let user = submission.userID { details.append(("user_id", user)) }
        if let scope = submission.consentScope { details.append(("consent_scope", scope)) }
        try audit.record("job.submitted", "job", id, details)
        return .created(try self.load(id, connection))
    }

    /// Leases queued jobs to a worker within the request's limits (one atomic step on the store's thread).
    ///
    /// A job whose user's consent is no longer in force is cancelled here instead (reason
    /// `consent_expired` or `consent_revoked`), and one whose consent holds carries the user's
    /// credential in its lease.
    static func lease(
        _ request: LeaseRequest, now: Int64, _ gate: ConsentGate, _ connection: SQLiteConnection, _ audit: AuditTrail
    ) throws -> [JobRecord] {
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
                var credential: String?
                if let scope = job.consentScope, let user = job.userID {
                    let status = try gate.status(userID: user, scope: scope, now: now, connection)
                    guard status == .granted else {
                        _ = try Self.cancel(job, reason: "consent_\(status.rawValue)", now: now, connection, audit)
                        continue
                    }
                    do {
                        credential = try gate.credential(userID: user, scope: scope, connection)
                    } catch is SQLiteError {
                        throw JobStoreError(.notFound, "the credentials table could not be read")
                    } catch {
                        // A credential no configured key opens: the job cannot act for its user.
                        _ = try Self.cancel(job, reason: "credential_unreadable", now: now, connection, audit)
                        continue
                    }
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
                // A credential handed over is part of the lease: the same entry records its release (the
                // job's user and scope are in its job.submitted entry).
                var details = [("attempt", String(lifecycle.attempts))]
                if credential != nil { details.append(("credential", "released")) }
                details.append(("worker_id", workerID))
                try audit.record("job.leased", "job", job.id, details)
                running[job.type, default: 0] += 1
                job.state = .running
                job.attempt = lifecycle.attempts
                job.lease = JobLease(workerID: workerID, token: token, expiresAt: now + leaseMilliseconds, credential: credential)
                job.updatedAt = now
                job.startedAt = now
                leased.append(job)
            }
            return leased
        }
    }

    static func load(_ id: String, _ connection: SQLiteConnection) throws -> JobRecord {
        guard let row = try connection.query("SELECT \(JobRow.columns) FROM jobs WHERE id = ?", [.text(id)]).first else {
            throw JobStoreError(.notFound, "job \(id) does not exist")
        }
        return try JobRow.decode(row)
    }
}
