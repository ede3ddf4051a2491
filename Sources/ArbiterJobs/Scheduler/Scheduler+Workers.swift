import ArbiterCore

extension Scheduler {
    /// The most running jobs a reconnecting worker is looked up with.
    static let maxHeldOnReconnect = 10_000

    /// Registers a worker (or updates its registration) from plain HTTP.
    public func register(workerID: String, capabilities: [String], concurrency: Int, labels: [String: String]) async throws -> WorkerRecord {
        try await self.workers.register(
            id: workerID, capabilities: capabilities, concurrency: concurrency, labels: labels, now: self.clock.nowMilliseconds())
    }

    /// Registers a worker from its connection's hello. Leases from an earlier connection that the
    /// worker still holds keep their slots; if it listed what it holds (`holding`), its other
    /// leases (assignments lost with the connection) end now and are requeued on the next tick.
    /// - Parameters:
    ///   - holding: The jobs the worker says it runs, or `nil` when it did not say.
    /// - Returns: The worker, the leases that carry on, and the jobs it listed that were cancelled.
    public func register(
        workerID: String, capabilities: [String], concurrency: Int, labels: [String: String], holding: [String]?
    ) async throws -> WorkerRegistration {
        let worker = try await self.register(workerID: workerID, capabilities: capabilities, concurrency: concurrency, labels: labels)
        var held = try await self.store.list(JobFilter(state: .running, leaseWorkerID: workerID), after: nil, limit: Self.maxHeldOnReconnect)
        var cancelled: [(jobID: String, reason: String)] = []
        if let holding {
            try await self.endLeases(workerID: workerID, except: holding)
            let kept = Set(holding)
            held = held.filter { kept.contains($0.id) }
            let running = Set(held.map(\.id))
            for id in holding where !running.contains(id) {
                if let job = try await self.store.job(id: id), job.state == .cancelled {
                    cancelled.append((id, job.cancelReason ?? "cancelled"))
                }
            }
        }
        let leases = Dictionary(held.map { ($0.id, $0.lease?.token ?? 0) }, uniquingKeysWith: { first, _ in first })
        return WorkerRegistration(worker: worker, held: leases, cancelled: cancelled)
    }

    /// A worker is alive: its heartbeat is recorded and the leases it holds are extended (those of
    /// `jobs` if it listed them, else all).
    public func heartbeat(workerID: String, jobs: [String]? = nil) async throws -> WorkerRecord {
        try await self.workers.heartbeat(
            workerID: workerID, jobs: jobs, leaseMilliseconds: self.leaseTimeout.wholeMilliseconds, now: self.clock.nowMilliseconds())
    }

    /// A reconnecting worker listed what it holds: its other leases end now and are requeued on the
    /// next tick (an assignment lost with a connection is rescued in about a second).
    public func endLeases(workerID: String, except keep: [String]) async throws {
        try await self.workers.endLeases(workerID: workerID, except: keep, now: self.clock.nowMilliseconds())
    }

    /// The worker takes no new jobs; those it runs finish.
    /// - Returns: The worker afterwards.
    public func drain(workerID: String) async throws -> WorkerRecord {
        try await self.workers.drain(workerID: workerID, now: self.clock.nowMilliseconds())
    }

    /// Removes a worker (any lease it still has ends) and drops the notices waiting for it.
    public func remove(workerID: String) async throws {
        try await self.workers.remove(workerID: workerID, now: self.clock.nowMilliseconds())
        self.coordination.dropCancelNotices(workerIDs: [workerID])
    }

    /// A long poll from a worker that cannot hold a connection: waits (up to `wait`) until the
    /// worker has free slots and there is work it may take, or a notice for it. Polling proves the
    /// worker is alive but extends no lease: that takes a heartbeat naming the jobs.
    /// - Returns: The jobs leased to it and the notices it must act on; both empty when `wait` ran out.
    /// - Throws: ``JobStoreError`` `notFound` when the worker is not registered; `CancellationError`.
    public func poll(workerID: String, wait: Duration) async throws -> (jobs: [JobRecord], cancels: [CancelNotice]) {
        let deadline = self.clock.monotonicMilliseconds() + max(0, wait.wholeMilliseconds)
        let worker = try await self.heartbeat(workerID: workerID, jobs: [])
        var free = worker.concurrency - worker.leasedJobs
        while true {
            let generation = self.wake.generation
            let cancels = self.takeCancelNotices(workerID: workerID)
            let leased = try await self.lease(workerID: workerID, types: worker.capabilities, limit: free)
            let now = self.clock.monotonicMilliseconds()
            if !leased.isEmpty || !cancels.isEmpty || now >= deadline { return (leased, cancels) }
            try Task.checkCancellation()
            await self.wake.wait(
                after: generation, timeout: min(.milliseconds(deadline - now), self.idleWait(types: worker.capabilities, ceiling: .seconds(1))))
            if free <= 0 {
                // Slots free up only through this worker's own reports; look again.
                guard let current = try await self.workers.worker(id: workerID) else {
                    throw JobStoreError(.notFound, "worker \(workerID) is not registered")
                }
                free = current.concurrency - current.leasedJobs
            }
        }
    }
}
