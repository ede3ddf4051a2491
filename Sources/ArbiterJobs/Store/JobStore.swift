/// Where jobs are kept: the port the scheduler and API use, implemented by the SQLite store (and
/// later PostgreSQL). Every method is one transaction.
public protocol JobStore: Sendable {
    /// Stores new jobs all together or not at all; each one that repeats an earlier request under the
    /// same idempotency key comes back as that earlier job. With a lease request, the same commit then
    /// leases queued jobs to that worker, exactly as ``lease(types:workerID:limit:leaseMilliseconds:limits:now:)``
    /// would (a worker with free slots gets new work without a second commit).
    /// - Throws: ``JobStoreError`` `idempotencyConflict` (with the submission's `index`) when a key was
    ///   used for a different request; nothing is stored then.
    func submit(_ submissions: [JobSubmission], now: Int64, thenLease request: LeaseRequest?) async throws -> JobSubmitResult

    /// The job with this id, if there is one.
    func job(id: String) async throws -> JobRecord?

    /// Every attempt of a job, oldest first.
    func attempts(jobID: String) async throws -> [JobAttempt]

    /// Leases up to `limit` queued jobs of the given types to a worker: the highest priority first,
    /// then the oldest `run_at`, then the oldest id. Paused types are skipped, a type never has more
    /// running jobs than its concurrency limit across all workers, and no more of a type than its quota
    /// are leased in this call. A draining or offline worker gets nothing.
    func lease(types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, limits: LeaseLimits, now: Int64) async throws -> [JobRecord]

    /// Records a successful attempt.
    /// - Throws: ``JobStoreError/staleLease`` when `token` is not the job's current lease; nothing changes.
    func complete(id: String, token: Int64, result: String?, now: Int64) async throws -> JobRecord

    /// Records a failed attempt: the job is scheduled after `retryDelay` if attempts are left, else dead.
    /// - Throws: ``JobStoreError/staleLease`` when `token` is not the job's current lease; nothing changes.
    func fail(id: String, token: Int64, error: String, retryDelay: Int64, now: Int64) async throws -> JobRecord

    /// Records many worker reports in one transaction, each on its own: a refused report (stale lease,
    /// cancelled or unknown job) changes nothing and does not affect the others. A failed attempt is
    /// retried after its job's backoff (exponential, full jitter) or, out of attempts, the job is dead.
    /// - Returns: Per report, in order, the job afterwards or the refusal.
    func report(_ reports: [JobReport], leaseMilliseconds: Int64, now: Int64) async throws -> [Result<JobRecord, JobStoreError>]

    /// Pushes a lease's expiry to `now + leaseMilliseconds` (a worker's progress report).
    /// - Throws: ``JobStoreError/staleLease`` when `token` is not the job's current lease; nothing changes.
    func extendLease(id: String, token: Int64, leaseMilliseconds: Int64, now: Int64) async throws -> JobRecord

    /// Requeues (or, without attempts left, kills) running jobs whose lease ran out.
    /// - Returns: Each job afterwards, with the lease that ran out (its worker is told to stop).
    func endExpiredLeases(now: Int64) async throws -> [ExpiredLease]

    /// Queues scheduled jobs whose `run_at` has come; returns how many.
    func promoteDueJobs(now: Int64) async throws -> Int

    /// Cancels a scheduled, queued or running job.
    /// - Returns: The job, and the lease it had if it was running (its worker must be told to stop).
    /// - Throws: ``JobStoreError`` `notFound`, or `illegalTransition` for a finished job.
    func cancel(id: String, reason: String, now: Int64) async throws -> (job: JobRecord, revokedLease: JobLease?)

    /// Queues a dead or cancelled job again with a fresh set of attempts.
    /// - Throws: ``JobStoreError`` `notFound`, or `illegalTransition` for a job that is not dead or cancelled.
    func retry(id: String, now: Int64) async throws -> JobRecord

    /// Stops (or restarts) leasing jobs of a type; running jobs are not touched.
    func setPaused(type: String, paused: Bool, now: Int64) async throws

    /// The types whose dispatch is paused.
    func pausedTypes() async throws -> Set<String>

    /// How many jobs each type has in each state (states with none are left out).
    func countsByType() async throws -> [String: [JobState: Int]]

    /// Per type, when its longest-waiting queued job became eligible (Unix ms).
    func oldestQueuedByType() async throws -> [String: Int64]

    /// A page of jobs matching `filter`, oldest first, after the job `cursor` (an id from a previous page).
    func list(_ filter: JobFilter, after cursor: String?, limit: Int) async throws -> [JobRecord]

    /// How many jobs match `filter`.
    func count(_ filter: JobFilter) async throws -> Int
}

/// A worker's report about one attempt, fenced by its lease token.
public struct JobReport: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case succeeded(result: String?)
        case failed(error: String)
        /// Still working: extend the lease.
        case progress
    }

    public var jobID: String
    public var token: Int64
    public var outcome: Outcome

    public init(jobID: String, token: Int64, outcome: Outcome) {
        self.jobID = jobID
        self.token = token
        self.outcome = outcome
    }
}

/// What a submission stored and, if it asked, what it leased in the same commit.
public struct JobSubmitResult: Sendable, Equatable {
    public var outcomes: [JobSubmitOutcome]
    public var leased: [JobRecord]

    public init(outcomes: [JobSubmitOutcome], leased: [JobRecord]) {
        self.outcomes = outcomes
        self.leased = leased
    }
}

/// A lease to take for one worker.
public struct LeaseRequest: Sendable, Equatable {
    public var types: [String]
    public var workerID: String
    public var limit: Int
    public var leaseMilliseconds: Int64
    public var limits: LeaseLimits

    public init(types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, limits: LeaseLimits) {
        self.types = types
        self.workerID = workerID
        self.limit = limit
        self.leaseMilliseconds = leaseMilliseconds
        self.limits = limits
    }

    /// The types whose rate quota is not used up.
    public var leasableTypes: [String] {
        self.types.filter { self.limits.quotas[$0] ?? 1 > 0 }
    }

    /// Whether the request could lease anything at all.
    public var canLease: Bool {
        self.limit > 0 && !self.leasableTypes.isEmpty
    }
}

/// Per-type caps on one lease call.
public struct LeaseLimits: Sendable, Equatable {
    /// The most jobs of a type running at once, across all workers.
    public var concurrency: [String: Int]
    /// The most jobs of a type this call may lease (what its rate limit allows right now).
    public var quotas: [String: Int]

    public init(concurrency: [String: Int] = [:], quotas: [String: Int] = [:]) {
        self.concurrency = concurrency
        self.quotas = quotas
    }
}

/// Which jobs a listing returns; every set field must match.
public struct JobFilter: Sendable, Equatable {
    public var state: JobState?
    public var type: String?
    public var userID: String?
    public var tag: String?
    /// Holding a lease: the worker's id.
    public var leaseWorkerID: String?
    /// Created at or after (Unix ms).
    public var createdAfter: Int64?
    /// Created before (Unix ms).
    public var createdBefore: Int64?
    /// A job whose id or idempotency key is this, or whose payload contains it, ignoring case (ASCII letters at least).
    public var search: String?
    /// Only dry runs (`true`) or only real runs (`false`).
    public var dryRun: Bool?

    public init(
        state: JobState? = nil, type: String? = nil, userID: String? = nil, tag: String? = nil, createdAfter: Int64? = nil,
        createdBefore: Int64? = nil, leaseWorkerID: String? = nil, search: String? = nil
    ) {
        self.search = search
        self.leaseWorkerID = leaseWorkerID
        self.state = state
        self.type = type
        self.userID = userID
        self.tag = tag
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
    }
}

/// A lease that ran out before its worker reported: the job afterwards (queued again, or dead)
/// and the lease it had.
public struct ExpiredLease: Sendable, Equatable {
    public var job: JobRecord
    /// The lease that ran out (a running job always has one).
    public var lease: JobLease?

    public init(job: JobRecord, lease: JobLease?) {
        self.job = job
        self.lease = lease
    }
}

extension JobStore {
    /// Requeues (or kills) running jobs whose lease ran out; see ``endExpiredLeases(now:)``.
    /// - Returns: Each job afterwards.
    public func expireLeases(now: Int64) async throws -> [JobRecord] {
        try await self.endExpiredLeases(now: now).map(\.job)
    }

    /// Leases without per-type limits; see the full form.
    public func lease(types: [String], workerID: String, limit: Int, leaseMilliseconds: Int64, now: Int64) async throws -> [JobRecord] {
        try await self.lease(types: types, workerID: workerID, limit: limit, leaseMilliseconds: leaseMilliseconds, limits: LeaseLimits(), now: now)
    }

    /// Stores jobs without leasing any.
    public func submit(_ submissions: [JobSubmission], now: Int64) async throws -> [JobSubmitOutcome] {
        try await self.submit(submissions, now: now, thenLease: nil).outcomes
    }

    /// Stores one job.
    public func submit(_ submission: JobSubmission, now: Int64) async throws -> JobSubmitOutcome {
        try await self.submit([submission], now: now)[0]
    }
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
        /// The report's lease was ended by a cancellation: the worker should stop.
        case jobCancelled = "job_cancelled"
        case illegalTransition = "illegal_transition"
        /// The job's user has no consent in force for the job type's scope.
        case consentRequired = "consent_required"
        /// An artifact over the per-file or per-job limit.
        case artifactsTooLarge = "artifacts_too_large"
    }

    public let code: Code
    public let message: String
    /// For a batch: which submission was refused.
    public let index: Int?

    public init(_ code: Code, _ message: String, index: Int? = nil) {
        self.code = code
        self.message = message
        self.index = index
    }

    public var description: String { self.message }
}
