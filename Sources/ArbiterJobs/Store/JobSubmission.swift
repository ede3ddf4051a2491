/// A job as a client submits it, with the job type's defaults already applied.
public struct JobSubmission: Sendable, Equatable {
    public var type: String
    /// The payload, JSON text (already validated by the API).
    public var payload: String
    /// Higher runs first; FIFO within a priority.
    public var priority: Int
    /// When it may first run (Unix ms); in the past or now means at once.
    public var runAt: Int64
    public var retry: RetryPolicy
    public var idempotencyKey: String?
    /// A digest of the request, so the same key with a different request is a conflict.
    public var requestHash: String?
    public var userID: String?
    public var consentScope: String?
    public var tags: [String]
    /// A dry run (the job's own flag, or its type's).
    public var dryRun: Bool

    public init(
        type: String, payload: String, priority: Int = 0, runAt: Int64, retry: RetryPolicy = .default,
        idempotencyKey: String? = nil, requestHash: String? = nil, userID: String? = nil, consentScope: String? = nil,
        tags: [String] = [], dryRun: Bool = false
    ) {
        self.dryRun = dryRun
        self.type = type
        self.payload = payload
        self.priority = priority
        self.runAt = runAt
        self.retry = retry
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.userID = userID
        self.consentScope = consentScope
        self.tags = tags
    }
}
