extension Ledger {
    /// Removes up to `limit` finished jobs past their retention, with their attempts, in one
    /// transaction that also writes one `jobs.pruned` audit entry for the batch. An idempotency key
    /// is free again once its job is gone.
    /// - Returns: The jobs removed; fewer than `limit` when no more are due.
    public func prune(_ cutoffs: RetentionCutoffs, limit: Int, now: Int64) async throws -> [PrunedJob] {
        try await self.write(now: now) { transaction, audit, _ in
            let jobs = try transaction.prunableJobs(cutoffs, limit: limit)
            guard let first = jobs.first, let last = jobs.last else { return [] }
            try transaction.deleteJobs(ids: jobs.map(\.id))
            var byState: [JobState: Int] = [:]
            for job in jobs { byState[job.state, default: 0] += 1 }
            var details = [("count", "\(jobs.count)"), ("first_id", first.id), ("last_id", last.id)]
            details += RetentionPolicy.states.compactMap { state in byState[state].map { (state.rawValue, "\($0)") } }
            try audit.record("jobs.pruned", "retention", "jobs", details)
            return jobs
        }
    }

    /// How large the store is.
    public func statistics() async throws -> StoreStatistics {
        try await self.read { transaction in try transaction.statistics() }
    }
}
