import ArbiterCore

extension Scheduler {
    /// Runs a dead or cancelled job again, with a fresh set of attempts; the dispatch loops are woken
    /// for it.
    /// - Returns: The job afterwards (queued).
    /// - Throws: ``JobStoreError`` `notFound`, or `illegalTransition` for a job that is not dead or
    ///   cancelled.
    public func retry(jobID: String) async throws -> JobRecord {
        let job = try await self.store.retry(id: jobID, now: self.clock.nowMilliseconds())
        self.coordination.announceWork()
        return job
    }

    /// Stops leasing jobs of a type; running ones are not touched.
    public func pause(type: String) async throws {
        try await self.store.setPaused(type: type, paused: true, now: self.clock.nowMilliseconds())
    }

    /// Leases jobs of a paused type again; the dispatch loops are woken for its queued jobs.
    public func resume(type: String) async throws {
        try await self.store.setPaused(type: type, paused: false, now: self.clock.nowMilliseconds())
        self.coordination.announceWork()
    }
}
