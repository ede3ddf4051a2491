/// A worker registered by its connection's hello, and what it resumes with: the leases it still
/// holds, and the jobs it listed that were cancelled while it was away.
public struct WorkerRegistration: Sendable {
    /// The worker as recorded.
    public var worker: WorkerRecord
    /// Its leases that carry on (job id → lease token): they keep their slots.
    public var held: [String: Int64]
    /// Jobs it said it holds that were cancelled meanwhile, with the cancellation's reason: it must
    /// stop them. (Cancel notices live in memory; one lost with a restart or a dropped connection
    /// is repeated this way.)
    public var cancelled: [(jobID: String, reason: String)]

    public init(worker: WorkerRecord, held: [String: Int64], cancelled: [(jobID: String, reason: String)]) {
        self.worker = worker
        self.held = held
        self.cancelled = cancelled
    }
}
