/// Where jobs are kept: the port the scheduler and API use, implemented by the SQLite store (and
/// later PostgreSQL). Every method is one transaction.
public protocol JobStore: Sendable {
    /// Stores a new job, or returns the one already stored under the same idempotency key.
    /// - Throws: ``JobStoreError/idempotencyConflict`` when the key was used for a different request.
    func submit(_ submission: JobSubmission, now: Int64) async throws -> JobSubmitOutcome

    /// The job with this id, if there is one.
    func job(id: String) async throws -> JobRecord?

    /// Leases up to `limit` queued jobs of the given types to a worker: the highest priority first,
    /// then the oldest `run_at`, then the oldest id.
    func lease(types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws -> [JobRecord]

    /// Records a successful attempt.
    /// - Throws: ``JobStoreError/staleLease`` when `token` is not the job's current lease; nothing changes.
    func complete(id: String, token: Int64, result: String?, now: Int64) async throws -> JobRecord

    /// Records a failed attempt: the job is scheduled after `retryDelay` if attempts are left, else dead.
    /// - Throws: ``JobStoreError/staleLease`` when `token` is not the job's current lease; nothing changes.
    func fail(id: String, token: Int64, error: String, retryDelay: Int64, now: Int64) async throws -> JobRecord

    /// Requeues (or, without attempts left, kills) running jobs whose lease ran out.
    func expireLeases(now: Int64) async throws -> [JobRecord]

    /// Queues scheduled jobs whose `run_at` has come; returns how many.
    func promoteDueJobs(now: Int64) async throws -> Int
}

/// What a submission did.
public enum JobSubmitOutcome: Sendable, Equatable {
    /// A new job was stored.
    case created(JobRecord)
    /// The same request was submitted before under the same idempotency key; this is that job.
    case existing(JobRecord)

    /// The job either way.
    public var job: JobRecord {
        switch self {
        case .created(let job), .existing(let job): job
        }
    }
}

/// A store refusal the API turns into a 4xx.
public struct JobStoreError: Error, Equatable, CustomStringConvertible {
    /// What kind of refusal.
    public enum Code: String, Sendable {
        case notFound = "not_found"
        case idempotencyConflict = "idempotency_conflict"
        case staleLease = "stale_lease"
        case illegalTransition = "illegal_transition"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
