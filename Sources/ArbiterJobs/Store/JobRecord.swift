/// A stored job.
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var type: String
    public var payload: String
    public var priority: Int
    public var state: JobState
    public var runAt: Int64
    public var attempt: Int
    public var retry: RetryPolicy
    public var idempotencyKey: String?
    public var userID: String?
    public var consentScope: String?
    public var tags: [String]
    public var result: String?
    public var lastError: String?
    public var cancelReason: String?
    public var lease: JobLease?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var finishedAt: Int64?
    /// When the job last became eligible to run (submitted due, promoted, or requeued).
    public var queuedAt: Int64?
    /// When the current or last attempt started.
    public var startedAt: Int64?
    /// A dry run: dispatched, gated and audited like any other job; its worker must not act for real.
    public var dryRun: Bool

    public init(
        id: String, type: String, payload: String, priority: Int, state: JobState, runAt: Int64, attempt: Int, retry: RetryPolicy,
        idempotencyKey: String?, userID: String?, consentScope: String?, tags: [String], result: String?, lastError: String?,
        cancelReason: String?, lease: JobLease?, createdAt: Int64, updatedAt: Int64, finishedAt: Int64?, queuedAt: Int64? = nil, startedAt: Int64? = nil,
        dryRun: Bool = false
    ) {
        self.dryRun = dryRun
        self.queuedAt = queuedAt
        self.startedAt = startedAt
        self.id = id
        self.type = type
        self.payload = payload
        self.priority = priority
        self.state = state
        self.runAt = runAt
        self.attempt = attempt
        self.retry = retry
        self.idempotencyKey = idempotencyKey
        self.userID = userID
        self.consentScope = consentScope
        self.tags = tags
        self.result = result
        self.lastError = lastError
        self.cancelReason = cancelReason
        self.lease = lease
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }

    /// The job's state machine as stored.
    public var lifecycle: JobLifecycle {
        JobLifecycle(state: self.state, attempts: self.attempt, maxAttempts: self.retry.maxAttempts)
    }
}

/// A worker's hold on a running job. The token fences it: only its holder can finish the attempt.
public struct JobLease: Sendable, Equatable {
    public var workerID: String
    /// Unique per lease; a report carrying any other token is refused.
    public var token: Int64
    public var expiresAt: Int64
    /// The user's secret for the job's consent scope: only in the lease handed to the worker, and only
    /// while the user's consent is in force. Never stored with the job, never written out by the API.
    public var credential: String?

    public init(workerID: String, token: Int64, expiresAt: Int64, credential: String? = nil) {
        self.workerID = workerID
        self.token = token
        self.expiresAt = expiresAt
        self.credential = credential
    }
}

/// One attempt of a job: who ran it, when, and how it ended.
public struct JobAttempt: Sendable, Equatable {
    public var number: Int
    public var workerID: String
    public var startedAt: Int64
    public var finishedAt: Int64?
    /// `succeeded`, `failed`, `lease_expired` or `cancelled`; `nil` while running.
    public var outcome: String?
    public var error: String?

    public init(number: Int, workerID: String, startedAt: Int64, finishedAt: Int64?, outcome: String?, error: String?) {
        self.number = number
        self.workerID = workerID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.error = error
    }
}
