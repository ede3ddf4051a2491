/// How a worker is doing.
public enum WorkerState: String, Sendable, CaseIterable, Codable {
    /// Connected, holding no lease.
    case idle
    /// Connected, holding at least one lease.
    case busy
    /// Finishing what it holds; takes no more work.
    case draining
    /// Missed its heartbeats; its leases are expired.
    case offline
}

/// A registered worker.
public struct WorkerRecord: Sendable, Equatable {
    public var id: String
    /// The job types it runs.
    public var capabilities: [String]
    /// How many jobs it runs at once.
    public var concurrency: Int
    public var labels: [String: String]
    public var state: WorkerState
    public var registeredAt: Int64
    public var lastHeartbeatAt: Int64
    /// Jobs it holds leases on now.
    public var leasedJobs: Int

    public init(
        id: String, capabilities: [String], concurrency: Int, labels: [String: String], state: WorkerState, registeredAt: Int64,
        lastHeartbeatAt: Int64, leasedJobs: Int
    ) {
        self.id = id
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.labels = labels
        self.state = state
        self.registeredAt = registeredAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.leasedJobs = leasedJobs
    }
}

/// Where workers are kept: the port the API and the job clock use.
public protocol WorkerStore: Sendable {
    /// Registers a worker, or updates it if the id is known (it comes back idle).
    func register(id: String, capabilities: [String], concurrency: Int, labels: [String: String], now: Int64) async throws -> WorkerRecord
    /// Records a heartbeat: an offline worker comes back, and the leases it holds are extended to
    /// `now + leaseMilliseconds` (a live worker keeps its jobs however long they run): the jobs in
    /// `jobs` if given, else all of them.
    /// - Throws: ``JobStoreError`` `notFound` for an unknown worker.
    func heartbeat(workerID: String, jobs: [String]?, leaseMilliseconds: Int64, now: Int64) async throws -> WorkerRecord

    /// Ends now every lease of the worker except those on `keep` (jobs the worker says it does not
    /// hold are requeued on the next clock tick).
    func endLeases(workerID: String, except keep: [String], now: Int64) async throws
    /// Every worker, by id.
    func workers() async throws -> [WorkerRecord]
    /// One worker, if known.
    func worker(id: String) async throws -> WorkerRecord?
    /// Stops giving the worker new work.
    /// - Throws: ``JobStoreError`` `notFound` for an unknown worker.
    func drain(workerID: String, now: Int64) async throws -> WorkerRecord
    /// Forgets a worker and expires its leases at once, so its jobs are requeued on the next tick.
    /// - Throws: ``JobStoreError`` `notFound` for an unknown worker.
    func remove(workerID: String, now: Int64) async throws
    /// Marks workers silent since before `cutoff` offline and expires their leases at once.
    /// - Returns: The ids of workers that went offline.
    func markOffline(silentSince cutoff: Int64, now: Int64) async throws -> [String]
}

extension WorkerRecord {
    /// A worker as a store reads it: busy and idle are derived from the leases it holds; draining and
    /// offline are stored.
    public init(
        id: String, capabilities: [String], concurrency: Int, labels: [String: String], stored: WorkerState, registeredAt: Int64,
        lastHeartbeatAt: Int64, leasedJobs: Int
    ) {
        let state: WorkerState = stored == .idle || stored == .busy ? (leasedJobs > 0 ? .busy : .idle) : stored
        self.init(
            id: id, capabilities: capabilities, concurrency: concurrency, labels: labels, state: state, registeredAt: registeredAt,
            lastHeartbeatAt: lastHeartbeatAt, leasedJobs: leasedJobs)
    }
}
