import ArbiterCore

// Submission and leasing: each one transaction, with its consent checks and audit entries in it.
extension Ledger {
    public func submit(_ submissions: [JobSubmission], now: Int64, thenLease request: LeaseRequest?) async throws -> JobSubmitResult {
        try await self.write(now: now) { transaction, audit, gate in
            // A refusal of any one fails the operation, and its savepoint undoes the others.
            let outcomes = try submissions.enumerated().map { index, submission in
                try Self.insert(submission, index: index, now: now, transaction, audit, gate)
            }
            let queued = Set(outcomes.compactMap { outcome -> String? in
                guard case .created(let job) = outcome, job.state == .queued else { return nil }
                return job.type
            })
            guard let request, request.canLease else {
                if !queued.isEmpty { try transaction.announceQueued(types: queued) }
                return JobSubmitResult(outcomes: outcomes, leased: [])
            }
            // The jobs are stored either way; a lease that fails leaves them queued for the dispatch loops.
            let leased = (try? transaction.atomically { try Self.lease(request, now: now, transaction, audit, gate) }) ?? []
            let created = outcomes.filter { if case .created(let job) = $0 { job.state == .queued } else { false } }.count
            if created > leased.count { try transaction.announceQueued(types: queued) }
            return JobSubmitResult(outcomes: outcomes, leased: leased)
        }
    }

    public func lease(
        types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, limits: LeaseLimits, now: Int64
    ) async throws -> [JobRecord] {
        let request = LeaseRequest(types: types, workerID: workerID, limit: limit, leaseMilliseconds: leaseMilliseconds, limits: limits)
        guard request.canLease else { return [] }
        return try await self.write(now: now) { transaction, audit, gate in try Self.lease(request, now: now, transaction, audit, gate) }
    }

    private static func insert(
        _ submission: JobSubmission, index: Int, now: Int64, _ transaction: any StoreTransaction, _ audit: AuditTrail, _ gate: ConsentGate
    ) throws -> JobSubmitOutcome {
        if let key = submission.idempotencyKey, let earlier = try self.earlier(submission, key: key, index: index, transaction) {
            return earlier
        }
        // Checked in the same transaction as the insert: a revocation cannot slip in between.
        try gate.checkSubmission(submission, index: index, now: now)
        let state: JobState = submission.runAt > now ? .scheduled : .queued
        let job = JobRecord(
            id: UUIDv7.generate(now: now), type: submission.type, payload: submission.payload, priority: submission.priority, state: state,
            runAt: submission.runAt, attempt: 0, retry: submission.retry, idempotencyKey: submission.idempotencyKey,
            userID: submission.userID, consentScope: submission.consentScope, tags: submission.tags, result: nil, lastError: nil,
            cancelReason: nil, lease: nil, createdAt: now, updatedAt: now, finishedAt: nil, queuedAt: state == .queued ? now : nil,
            dryRun: submission.dryRun)
        do {
            try transaction.insertJob(job, requestHash: submission.requestHash)
        } catch StoreConflict.idempotencyKeyTaken(let key) {
            // Another connection stored the same key first and committed: this is its job.
            guard let earlier = try self.earlier(submission, key: key, index: index, transaction) else { throw StoreConflict.idempotencyKeyTaken(key) }
            return earlier
        }
        var details = [("type", submission.type), ("state", state.rawValue)]
        if let user = submission.userID { details.append(("user_id", user)) }
        if let scope = submission.consentScope { details.append(("consent_scope", scope)) }
        if submission.dryRun { details.append(("dry_run", "true")) }
        try audit.record("job.submitted", "job", job.id, details)
        return .created(job)
    }

    /// The job an earlier request stored under `key`, or a conflict when that request was a different one.
    private static func earlier(
        _ submission: JobSubmission, key: String, index: Int, _ transaction: any StoreTransaction
    ) throws -> JobSubmitOutcome? {
        guard let (job, hash) = try transaction.job(idempotencyKey: key) else { return nil }
        guard hash == submission.requestHash else {
            throw JobStoreError(.idempotencyConflict, "idempotency_key \"\(key)\" was already used for a different request", index: index)
        }
        return .existing(job)
    }

    /// Leases queued jobs to a worker within the request's limits.
    ///
    /// A job whose user's consent is no longer in force is cancelled here instead (reason
    /// `consent_expired` or `consent_revoked`), and one whose consent holds carries the user's
    /// credential in its lease.
    static func lease(
        _ request: LeaseRequest, now: Int64, _ transaction: any StoreTransaction, _ audit: AuditTrail, _ gate: ConsentGate
    ) throws -> [JobRecord] {
        let (types, workerID, limits) = (request.leasableTypes, request.workerID, request.limits)
        // A draining or offline worker takes no new work.
        if let state = try transaction.storedWorkerState(id: workerID), state == .draining || state == .offline { return [] }
        // Capped types may be skipped below, so look further than `limit` when there are caps.
        let candidates = try transaction.leasableJobs(types: types, limit: limits == LeaseLimits() ? request.limit : request.limit * 4)
        guard !candidates.isEmpty else { return [] }
        let capped = types.filter { limits.concurrency[$0] != nil }
        var running = capped.isEmpty ? [:] : try transaction.runningCounts(types: capped)
        var leased: [JobRecord] = []
        var quotas = limits.quotas
        for job in candidates where leased.count < request.limit {
            if let cap = limits.concurrency[job.type], running[job.type, default: 0] >= cap { continue }
            if let quota = quotas[job.type] {
                guard quota > 0 else { continue }
                quotas[job.type] = quota - 1
            }
            var credential: String?
            if let scope = job.consentScope, let user = job.userID {
                let status = try gate.status(userID: user, scope: scope, now: now)
                guard status == .granted else {
                    _ = try Self.cancel(job, reason: "consent_\(status.rawValue)", now: now, transaction, audit)
                    continue
                }
                do {
                    credential = try gate.credential(userID: user, scope: scope)
                } catch is VaultError {
                    // A credential no configured key opens: the job cannot act for its user.
                    _ = try Self.cancel(job, reason: "credential_unreadable", now: now, transaction, audit)
                    continue
                }
            }
            var lifecycle = job.lifecycle
            guard (try? lifecycle.apply(.leased)) != nil else { continue }
            var started = job
            started.state = .running
            started.attempt = lifecycle.attempts
            started.lease = JobLease(workerID: workerID, token: Int64.random(in: 1...Int64.max), expiresAt: now + request.leaseMilliseconds)
            started.startedAt = now
            started.updatedAt = now
            try transaction.updateJob(started, from: job)
            try transaction.insertAttempt(jobID: job.id, workerID: workerID, token: started.lease!.token, startedAt: now)
            // A credential handed over is part of the lease: the same entry records its release (the
            // job's user and scope are in its job.submitted entry).
            var details = [("attempt", String(started.attempt))]
            if credential != nil { details.append(("credential", "released")) }
            details.append(("worker_id", workerID))
            try audit.record("job.leased", "job", job.id, details)
            running[job.type, default: 0] += 1
            started.lease?.credential = credential
            leased.append(started)
        }
        return leased
    }
}
