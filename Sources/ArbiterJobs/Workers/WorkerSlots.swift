/// The slots of one connected worker as the server counts them: the jobs it holds (assigned, and
/// neither reported nor ended by a cancellation or an expired lease), the slots promised to leases
/// being taken, and whether it takes more work. The server never has more than `concurrency` jobs
/// out with a worker.
///
/// A hold is identified by the job id and its lease token, so news about an earlier attempt of a
/// job (a late report, the expiry of its old lease) never frees the slot of a later attempt of the
/// same job on the same worker.
public struct WorkerSlots: Sendable, Equatable {
    /// How many jobs the worker runs at once.
    public let concurrency: Int
    /// Job id → lease token of every job the worker holds.
    public private(set) var held: [String: Int64]
    /// Slots promised to leases that are being taken.
    public private(set) var reserved = 0
    /// The worker asked to drain: it takes no more work.
    public private(set) var draining = false
    /// A newer connection speaks for the worker, or this one ended: it takes no more work.
    public private(set) var closed = false
    /// A lease of the worker's ran out, so it may have stalled (stopped, paused, cut off): it takes no
    /// new work until it next sends something.
    public private(set) var unresponsive = false

    /// What ending a hold found.
    public enum Release: Sendable, Equatable {
        /// The worker held the job under that lease: its slot is free.
        case released
        /// The worker does not hold the job (already reported, or never received).
        case notHeld
        /// The worker holds the job under another lease (a later attempt): nothing changed, and
        /// the worker must not be told to stop it.
        case heldUnderAnotherLease
    }

    /// - Parameters:
    ///   - concurrency: How many jobs the worker runs at once.
    ///   - held: The jobs it already holds (after a reconnect), job id → lease token.
    public init(concurrency: Int, held: [String: Int64] = [:]) {
        self.concurrency = max(concurrency, 0)
        self.held = held
    }

    /// Slots that may be leased into now: none while draining or closed.
    public var free: Int {
        self.draining || self.closed || self.unresponsive ? 0 : max(0, self.concurrency - self.held.count - self.reserved)
    }

    /// Holding nothing and taking nothing.
    public var isIdle: Bool { self.held.isEmpty && self.reserved == 0 }

    /// The worker drained and holds nothing: when its connection ends, it has stopped (rather than
    /// dropped out).
    public var hasStopped: Bool { self.draining && !self.closed && self.isIdle }

    /// Promises up to `wanted` free slots to a lease being taken.
    /// - Returns: How many were promised; give them back with ``deliver(_:reserved:)``.
    public mutating func reserve(upTo wanted: Int) -> Int {
        let taken = min(self.free, max(wanted, 0))
        self.reserved += taken
        return taken
    }

    /// The lease promised `reserved` slots took these jobs (job id, lease token): they are held,
    /// and the slots they did not use are free again.
    public mutating func deliver(_ leases: [(jobID: String, token: Int64)], reserved: Int) {
        for lease in leases { self.held[lease.jobID] = lease.token }
        self.reserved = max(0, self.reserved - max(reserved, 0))
    }

    /// The worker's hold on a job under a lease ended: it reported it, the report was refused, or
    /// the lease was cancelled or expired.
    public mutating func release(jobID: String, token: Int64) -> Release {
        switch self.held[jobID] {
        case nil:
            return .notHeld
        case token?:
            self.held[jobID] = nil
            return .released
        case _?:
            return .heldUnderAnotherLease
        }
    }

    /// One of the worker's leases ran out while it held the job.
    public mutating func leaseRanOut() {
        self.unresponsive = true
    }

    /// The worker sent something: it is alive.
    /// - Returns: Whether it had been unresponsive (its free slots can be filled again).
    public mutating func heard() -> Bool {
        defer { self.unresponsive = false }
        return self.unresponsive
    }

    /// The worker asked to drain.
    public mutating func drain() {
        self.draining = true
    }

    /// A newer connection took over (or this one ended): take nothing more.
    public mutating func close() {
        self.closed = true
    }
}
