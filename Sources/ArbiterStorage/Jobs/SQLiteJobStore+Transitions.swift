import ArbiterCore
import ArbiterJobs

// Reports, expiry, promotion, cancel, retry and pause: each one transaction on the store's thread,
// with its audit entries in the same transaction.
extension SQLiteJobStore {
    public func complete(id: String, token: Int64, result: String?, now: Int64) async throws -> JobRecord {
        try await self.run(now: now) { connection, audit in try Self.complete(id, token: token, result: result, now: now, connection, audit) }
    }

    public func fail(id: String, token: Int64, error: String, retryDelay: Int64, now: Int64) async throws -> JobRecord {
        try await self.run(now: now) { connection, audit in
            try Self.fail(id, token: token, error: error, retryDelay: { _ in retryDelay }, now: now, connection, audit)
        }
    }

    public func extendLease(id: String, token: Int64, leaseMilliseconds: Int64, now: Int64) async throws -> JobRecord {
        try await self.run(now: now) { connection, _ in try Self.extendLease(id, token: token, leaseMilliseconds: leaseMilliseconds, now: now, connection) }
    }

    public func report(_ reports: [JobReport], leaseMilliseconds: Int64, now: Int64) async throws -> [Result<JobRecord, JobStoreError>] {
        try await self.run(now: now) { connection, audit in
            var random = SystemRandomNumberGenerator()
            return try reports.map { report in
                do {
                    switch report.outcome {
                    case .succeeded(let result):
                        return .success(try Self.complete(report.jobID, token: report.token, result: result, now: now, connection, audit))
                    case .failed(let error):
                        let delay = { (job: JobRecord) in job.retry.delay(afterAttempt: job.attempt, using: &random).wholeMilliseconds }
                        return .success(try Self.fail(report.jobID, token: report.token, error: error, retryDelay: delay, now: now, connection, audit))
                    case .progress:
                        return .success(try Self.extendLease(report.jobID, token: report.token, leaseMilliseconds: leaseMilliseconds, now: now, connection))
                    }
                } catch let refusal as JobStoreError {
                    return .failure(refusal)
                }
            }
        }
    }

    public func endExpiredLeases(now: Int64) async throws -> [ExpiredLease] {
        try await self.run(now: now) { connection, audit in
            let expired = try connection.query(
                "SELECT \(JobRow.columns) FROM jobs WHERE state = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at", [.integer(now)])
            var changed: [ExpiredLease] = []
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
                try audit.record(
                    "job.lease_expired", "job", job.id,
                    [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt)), ("state", lifecycle.state.rawValue)])
                changed.append(ExpiredLease(job: try Self.load(job.id, connection), lease: job.lease))
            }
            return changed
        }
    }

    public func promoteDueJobs(now: Int64) async throws -> Int {
        try await self.run(now: now) { connection, audit in
            let promoted = try connection.query(
                "UPDATE jobs SET state = 'queued', queued_at = ?, updated_at = ? WHERE state = 'scheduled' AND run_at <= ? RETURNING id",
                [.integer(now), .integer(now), .integer(now)])
            for row in promoted {
                try audit.record("job.queued", "job", row[0].text ?? "")
            }
            return promoted.count
        }
    }

    public func cancel(id: String, reason: String, now: Int64) async throws -> (job: JobRecord, revokedLease: JobLease?) {
        try await self.run(now: now) { connection, audit in
            let job = try Self.load(id, connection)
            let lease = try Self.cancel(job, reason: reason, now: now, connection, audit)
            return (try Self.load(id, connection), lease)
        }
    }

    /// Cancels a scheduled, queued or running job; returns the lease it had, if any.
    static func cancel(_ job: JobRecord, reason: String, now: Int64, _ connection: SQLiteConnection, _ audit: AuditTrail) throws -> JobLease? {
        _ = try Self.transition(job, .cancel, refusal: "job \(job.id) is \(job.state.rawValue) and cannot be cancelled")
        try connection.query(
            """
            UPDATE jobs SET state = 'cancelled', cancel_reason = ?, lease_worker_id = NULL, lease_token = NULL,
                lease_expires_at = NULL, finished_at = ?, updated_at = ? WHERE id = ?
            """,
            [.text(reason), .integer(now), .integer(now), .text(job.id)])
        if job.state == .running {
            try Self.finishAttempt(job, outcome: "cancelled", error: reason, now: now, connection)
        }
        try audit.record("job.cancelled", "job", job.id, [("reason", reason), ("from", job.state.rawValue)])
        return job.lease
    }

    public func retry(id: String, now: Int64) async throws -> JobRecord {
        try await self.run(now: now) { connection, audit in
            let job = try Self.load(id, connection)
            _ = try Self.transition(job, .retry, refusal: "job \(id) is \(job.state.rawValue); only dead or cancelled jobs can be retried")
            try connection.query(
                """
                UPDATE jobs SET state = 'queued', attempt = 0, run_at = ?, cancel_reason = NULL, finished_at = NULL,
                    queued_at = ?, updated_at = ? WHERE id = ?
                """,
                [.integer(now), .integer(now), .integer(now), .text(id)])
            try audit.record("job.retried", "job", id, [("from", job.state.rawValue)])
            return try Self.load(id, connection)
        }
    }

    public func setPaused(type: String, paused: Bool, now: Int64) async throws {
        _ = try await self.run(now: now) { connection, audit in
            try connection.query(
                """
                INSERT INTO job_type_state (type, paused, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (type) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
                """,
                [.text(type), .integer(paused ? 1 : 0), .integer(now)])
            try audit.record(paused ? "job_type.paused" : "job_type.resumed", "job_type", type)
        }
    }

    // MARK: Reports

    private static func complete(
        _ id: String, token: Int64, result: String?, now: Int64, _ connection: SQLiteConnection, _ audit: AuditTrail
    ) throws -> JobRecord {
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
            try audit.record("job.succeeded", "job", id, [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt))])
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
        _ id: String, token: Int64, error: String, retryDelay: (JobRecord) -> Int64, now: Int64, _ connection: SQLiteConnection,
        _ audit: AuditTrail
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
            // The worker's error text stays in the job, not the audit log: it may carry anything.
            try audit.record(
                "job.failed", "job", id,
                [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt)), ("state", lifecycle.state.rawValue)])
            return try Self.load(id, connection)
        }
    }

    /// A progress report: liveness, not a change of state, so it is not audited.
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

    // MARK: Helpers

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
