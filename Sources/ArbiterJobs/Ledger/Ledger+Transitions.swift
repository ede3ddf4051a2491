import ArbiterCore

// Reports, expiry, promotion, cancel, retry and pause: each one transaction with its audit entries.
extension Ledger {
    public func complete(id: String, token: Int64, result: String?, now: Int64) async throws -> JobRecord {
        try await self.write(now: now) { transaction, audit, _ in try Self.complete(id, token: token, result: result, now: now, transaction, audit) }
    }

    public func fail(id: String, token: Int64, error: String, retryDelay: Int64, now: Int64) async throws -> JobRecord {
        try await self.write(now: now) { transaction, audit, _ in
            try Self.fail(id, token: token, error: error, retryDelay: { _ in retryDelay }, now: now, transaction, audit)
        }
    }

    public func extendLease(id: String, token: Int64, leaseMilliseconds: Int64, now: Int64) async throws -> JobRecord {
        try await self.write(now: now) { transaction, _, _ in
            try Self.extendLease(id, token: token, leaseMilliseconds: leaseMilliseconds, now: now, transaction)
        }
    }

    public func report(_ reports: [JobReport], leaseMilliseconds: Int64, now: Int64) async throws -> [Result<JobRecord, JobStoreError>] {
        try await self.write(now: now) { transaction, audit, _ in
            var random = SystemRandomNumberGenerator()
            var requeued: Set<String> = []
            let results = try reports.map { report -> Result<JobRecord, JobStoreError> in
                do {
                    switch report.outcome {
                    case .succeeded(let result):
                        return .success(try Self.complete(report.jobID, token: report.token, result: result, now: now, transaction, audit))
                    case .failed(let error):
                        let delay = { (job: JobRecord) in job.retry.delay(afterAttempt: job.attempt, using: &random).wholeMilliseconds }
                        let job = try Self.fail(report.jobID, token: report.token, error: error, retryDelay: delay, now: now, transaction, audit)
                        if job.state == .queued { requeued.insert(job.type) }
                        return .success(job)
                    case .progress:
                        return .success(
                            try Self.extendLease(report.jobID, token: report.token, leaseMilliseconds: leaseMilliseconds, now: now, transaction))
                    }
                } catch let refusal as JobStoreError {
                    return .failure(refusal)
                }
            }
            if !requeued.isEmpty { try transaction.announceQueued(types: requeued) }
            return results
        }
    }

    public func endExpiredLeases(now: Int64) async throws -> [ExpiredLease] {
        try await self.write(now: now) { transaction, audit, _ in
            var changed: [ExpiredLease] = []
            for job in try transaction.expiredLeases(now: now, limit: 1000) {
                var lifecycle = job.lifecycle
                _ = try lifecycle.apply(.leaseExpired)
                let dead = lifecycle.state == .dead
                var ended = job
                ended.state = lifecycle.state
                ended.lastError = "lease expired"
                ended.lease = nil
                ended.queuedAt = dead ? nil : now
                ended.finishedAt = dead ? now : nil
                ended.updatedAt = now
                try transaction.updateJob(ended, from: job)
                try transaction.finishAttempt(jobID: job.id, token: job.lease?.token ?? 0, outcome: "lease_expired", error: "lease expired", at: now)
                try audit.record(
                    "job.lease_expired", "job", job.id,
                    [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt)), ("state", lifecycle.state.rawValue)])
                changed.append(ExpiredLease(job: ended, lease: job.lease))
            }
            let requeued = Set(changed.filter { $0.job.state == .queued }.map(\.job.type))
            if !requeued.isEmpty { try transaction.announceQueued(types: requeued) }
            return changed
        }
    }

    public func promoteDueJobs(now: Int64) async throws -> Int {
        try await self.write(now: now) { transaction, audit, _ in
            let due = try transaction.dueJobs(now: now, limit: 10_000)
            for job in due {
                var queued = job
                queued.state = .queued
                queued.queuedAt = now
                queued.updatedAt = now
                try transaction.updateJob(queued, from: job)
                try audit.record("job.queued", "job", job.id)
            }
            if !due.isEmpty { try transaction.announceQueued(types: Set(due.map(\.type))) }
            return due.count
        }
    }

    public func cancel(id: String, reason: String, now: Int64) async throws -> (job: JobRecord, revokedLease: JobLease?) {
        try await self.write(now: now) { transaction, audit, _ in
            let job = try Self.load(id, transaction)
            return try Self.cancel(job, reason: reason, now: now, transaction, audit)
        }
    }

    /// Cancels a scheduled, queued or running job.
    /// - Returns: The job afterwards, and the lease it had, if any.
    static func cancel(
        _ job: JobRecord, reason: String, now: Int64, _ transaction: any StoreTransaction, _ audit: AuditTrail
    ) throws -> (job: JobRecord, revokedLease: JobLease?) {
        _ = try Self.transition(job, .cancel, refusal: "job \(job.id) is \(job.state.rawValue) and cannot be cancelled")
        var cancelled = job
        cancelled.state = .cancelled
        cancelled.cancelReason = reason
        cancelled.lease = nil
        cancelled.finishedAt = now
        cancelled.updatedAt = now
        try transaction.updateJob(cancelled, from: job)
        if job.state == .running {
            try transaction.finishAttempt(jobID: job.id, token: job.lease?.token ?? 0, outcome: "cancelled", error: reason, at: now)
        }
        try audit.record("job.cancelled", "job", job.id, [("reason", reason), ("from", job.state.rawValue)])
        return (cancelled, job.lease)
    }

    public func retry(id: String, now: Int64) async throws -> JobRecord {
        try await self.write(now: now) { transaction, audit, _ in
            let job = try Self.load(id, transaction)
            _ = try Self.transition(job, .retry, refusal: "job \(id) is \(job.state.rawValue); only dead or cancelled jobs can be retried")
            var queued = job
            queued.state = .queued
            queued.attempt = 0
            queued.runAt = now
            queued.cancelReason = nil
            queued.finishedAt = nil
            queued.queuedAt = now
            queued.updatedAt = now
            try transaction.updateJob(queued, from: job)
            try audit.record("job.retried", "job", id, [("from", job.state.rawValue)])
            try transaction.announceQueued(types: [job.type])
            return queued
        }
    }

    public func setPaused(type: String, paused: Bool, now: Int64) async throws {
        _ = try await self.write(now: now) { transaction, audit, _ in
            try transaction.setPaused(type: type, paused: paused, at: now)
            try audit.record(paused ? "job_type.paused" : "job_type.resumed", "job_type", type)
            if !paused { try transaction.announceQueued(types: [type]) }
        }
    }

    // MARK: Reports

    private static func complete(
        _ id: String, token: Int64, result: String?, now: Int64, _ transaction: any StoreTransaction, _ audit: AuditTrail
    ) throws -> JobRecord {
        // Every refusal is thrown before the first write, so a refused report in a batch changes
        // nothing and needs no savepoint of its own; anything thrown after fails the whole operation.
        let job = try Self.leasedJob(id, token: token, transaction)
        var lifecycle = job.lifecycle
        _ = try lifecycle.apply(.succeeded)
        var done = job
        done.state = .succeeded
        done.result = result
        done.lease = nil
        done.finishedAt = now
        done.updatedAt = now
        try transaction.updateJob(done, from: job)
        try transaction.finishAttempt(jobID: id, token: job.lease?.token ?? 0, outcome: "succeeded", error: nil, at: now)
        try audit.record("job.succeeded", "job", id, [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt))])
        return done
    }

    private static func fail(
        _ id: String, token: Int64, error: String, retryDelay: (JobRecord) -> Int64, now: Int64, _ transaction: any StoreTransaction,
        _ audit: AuditTrail
    ) throws -> JobRecord {
        // As for a completion: every refusal comes before the first write.
        let job = try Self.leasedJob(id, token: token, transaction)
        var lifecycle = job.lifecycle
        _ = try lifecycle.apply(.failed)
        let dead = lifecycle.state == .dead
        var failed = job
        failed.state = lifecycle.state
        failed.runAt = dead ? job.runAt : now + max(retryDelay(job), 0)
        failed.lastError = error
        failed.lease = nil
        failed.finishedAt = dead ? now : nil
        failed.updatedAt = now
        if failed.state == .queued { failed.queuedAt = now }
        try transaction.updateJob(failed, from: job)
        try transaction.finishAttempt(jobID: id, token: job.lease?.token ?? 0, outcome: "failed", error: error, at: now)
        // The worker's error text stays in the job, not the audit log: it may carry anything.
        try audit.record(
            "job.failed", "job", id,
            [("worker_id", job.lease?.workerID ?? ""), ("attempt", String(job.attempt)), ("state", lifecycle.state.rawValue)])
        return failed
    }

    /// A progress report: liveness, not a change of state, so it is not audited.
    private static func extendLease(_ id: String, token: Int64, leaseMilliseconds: Int64, now: Int64, _ transaction: any StoreTransaction) throws -> JobRecord {
        let job = try Self.leasedJob(id, token: token, transaction)
        var extended = job
        extended.lease?.expiresAt = now + leaseMilliseconds
        extended.updatedAt = now
        try transaction.updateJob(extended, from: job)
        if let worker = job.lease?.workerID { try transaction.touchWorker(id: worker, at: now) }
        return extended
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
    static func leasedJob(_ id: String, token: Int64, _ transaction: any StoreTransaction) throws -> JobRecord {
        let job = try self.load(id, transaction)
        guard job.state == .running, let lease = job.lease, lease.token == token else {
            if try transaction.attemptCancelled(jobID: id, token: token) {
                throw JobStoreError(.jobCancelled, "job \(id) was cancelled (\(job.cancelReason ?? "no reason given")); stop working on it")
            }
            throw JobStoreError(.staleLease, "lease token \(token) is not the current lease of job \(id) (the job is \(job.state.rawValue))")
        }
        return job
    }

    static func load(_ id: String, _ transaction: any StoreTransaction) throws -> JobRecord {
        guard let job = try transaction.job(id: id) else { throw JobStoreError(.notFound, "job \(id) does not exist") }
        return job
    }
}
