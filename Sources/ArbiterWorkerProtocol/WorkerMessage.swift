import Foundation

/// The worker protocol, version 1: JSON text messages over the WebSocket at
/// `GET /api/v1/workers/{id}/connect`, each an object whose `type` says what it is.
/// `docs/worker-protocol.md` is the specification; this file is its Swift form.
public enum WorkerProtocol {
    /// The version both sides put in their `hello`.
    public static let version = 1
}

/// A job handed to a worker.
public struct Assignment: Sendable, Equatable, Codable {
    public var jobID: String
    public var type: String
    public var payload: JSONValue
    /// 1 for the first attempt.
    public var attempt: Int
    public var maxAttempts: Int
    /// How long the attempt may run, in milliseconds.
    public var timeoutMs: Int64
    /// The fencing token: every report about this attempt carries it.
    public var leaseToken: String
    /// When the lease runs out unless the worker heartbeats or reports progress (Unix ms).
    public var leaseExpiresAt: Int64
    public var userID: String?
    public var tags: [String]
    /// The user's secret for the job type's consent scope, when one is stored and the consent is in
    /// force. Handle it as a secret: never log it.
    public var credential: String?
    /// A dry run: do everything but act for real (send no email, place no order), and report as usual.
    /// On the wire only when true.
    public var dryRun: Bool

    public init(
        jobID: String, type: String, payload: JSONValue, attempt: Int, maxAttempts: Int, timeoutMs: Int64, leaseToken: String,
        leaseExpiresAt: Int64, userID: String?, tags: [String], credential: String? = nil, dryRun: Bool = false
    ) {
        self.credential = credential
        self.dryRun = dryRun
        self.jobID = jobID
        self.type = type
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
        self.leaseToken = leaseToken
        self.leaseExpiresAt = leaseExpiresAt
        self.userID = userID
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", type, payload, attempt, maxAttempts = "max_attempts", timeoutMs = "timeout_ms", leaseToken = "lease_token"
        case leaseExpiresAt = "lease_expires_at", userID = "user_id", tags, credential, dryRun = "dry_run"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            jobID: try c.decode(String.self, forKey: .jobID), type: try c.decode(String.self, forKey: .type),
            payload: try c.decode(JSONValue.self, forKey: .payload), attempt: try c.decode(Int.self, forKey: .attempt),
            maxAttempts: try c.decode(Int.self, forKey: .maxAttempts), timeoutMs: try c.decode(Int64.self, forKey: .timeoutMs),
            leaseToken: try c.decode(String.self, forKey: .leaseToken), leaseExpiresAt: try c.decode(Int64.self, forKey: .leaseExpiresAt),
            userID: try c.decodeIfPresent(String.self, forKey: .userID), tags: try c.decode([String].self, forKey: .tags),
            credential: try c.decodeIfPresent(String.self, forKey: .credential), dryRun: try c.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(self.jobID, forKey: .jobID)
        try c.encode(self.type, forKey: .type)
        try c.encode(self.payload, forKey: .payload)
        try c.encode(self.attempt, forKey: .attempt)
        try c.encode(self.maxAttempts, forKey: .maxAttempts)
        try c.encode(self.timeoutMs, forKey: .timeoutMs)
        try c.encode(self.leaseToken, forKey: .leaseToken)
        try c.encode(self.leaseExpiresAt, forKey: .leaseExpiresAt)
        try c.encode(self.userID, forKey: .userID)
        try c.encode(self.tags, forKey: .tags)
        try c.encodeIfPresent(self.credential, forKey: .credential)
        if self.dryRun { try c.encode(true, forKey: .dryRun) }
    }
}

/// The limits the server holds a worker's messages to, as its hello states them.
public struct WorkerLimits: Sendable, Equatable, Codable {
    /// The largest message (one WebSocket message, a whole batch included) the server reads, in
    /// bytes. A larger one cannot be read: the server closes the connection with 1009.
    public var maxMessageBytes: Int
    /// The largest `result` a `complete` may carry, in bytes of JSON; a larger one is refused with
    /// `result_too_large`.
    public var maxResultBytes: Int
    /// The most messages in one `batch`; a larger batch is refused whole with `batch_too_large`.
    public var maxBatchMessages: Int

    /// What a server that states no limits reads: a result of 1 MiB in a message of 1 MiB + 64 KiB.
    public static let assumed = WorkerLimits(maxMessageBytes: (1 << 20) + 64 * 1024, maxResultBytes: 1 << 20, maxBatchMessages: 256)

    public init(maxMessageBytes: Int, maxResultBytes: Int, maxBatchMessages: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.maxResultBytes = maxResultBytes
        self.maxBatchMessages = maxBatchMessages
    }

    enum CodingKeys: String, CodingKey {
        case maxMessageBytes = "max_message_bytes", maxResultBytes = "max_result_bytes", maxBatchMessages = "max_batch_messages"
    }
}

/// A drain the server's steering holds on a worker (an alert with `arbiter_action: drain` naming
/// it): the worker is assigned nothing while it lasts, whatever it does.
public struct WorkerDrain: Sendable, Equatable, Codable {
    /// Since when (Unix ms).
    public var since: Int64
    /// The alerts that hold it.
    public var alerts: [String]
    /// Why, for people.
    public var message: String

    public init(since: Int64, alerts: [String], message: String) {
        self.since = since
        self.alerts = alerts
        self.message = message
    }
}

/// Every message of the protocol, in either direction.
public enum WorkerMessage: Sendable, Equatable {
    // Worker → server
    /// First message of a worker: what it runs and how many at once. After a reconnect, `running`
    /// lists the jobs it still holds (running or with a report not yet acknowledged); the server ends
    /// at once every other lease it has on record for the worker, so nothing waits on a job the
    /// worker never received.
    case workerHello(capabilities: [String], concurrency: Int, labels: [String: String], running: [String]? = nil)
    /// The attempt succeeded.
    case complete(jobID: String, leaseToken: String, result: JSONValue?)
    /// The attempt failed; the job retries if it has attempts left.
    case fail(jobID: String, leaseToken: String, error: String)
    /// Still working on it: extends that lease.
    case progress(jobID: String, leaseToken: String, progress: JSONValue?)
    /// Take no more work (the worker is shutting down); running jobs may still report.
    case drain

    // Server → worker
    /// Reply to the worker's hello: how often to heartbeat, how long a lease lasts, the limits the
    /// worker's messages are held to, and, while the server's steering holds a drain on the worker,
    /// why it is assigned nothing.
    case serverHello(
        workerID: String, heartbeatIntervalMs: Int64, leaseTimeoutMs: Int64, serverVersion: String, limits: WorkerLimits? = nil,
        drained: WorkerDrain? = nil)
    /// Run this job.
    case assign(Assignment)
    /// A report was recorded; `state` is the job's state after it.
    case ack(jobID: String, request: String, state: String)
    /// Stop working on this job: it was cancelled. Later reports about it are refused.
    case cancel(jobID: String, reason: String)
    /// Something the worker sent was refused; `jobID` when it was about a job.
    case error(code: String, message: String, jobID: String?)

    // Both ways
    /// Several messages in one frame, handled as if sent one by one (reports in a batch are also
    /// recorded in one transaction). A batch does not contain a batch.
    case batch([WorkerMessage])
    /// Liveness. From a worker, `running` lists the jobs it holds (running, or reported and not yet
    /// acknowledged): exactly those leases are extended, so a job the worker lost track of is rescued
    /// by lease expiry. Without `running`, every lease of the worker is extended. The server answers
    /// with a heartbeat without `running`.
    case heartbeat(running: [String]? = nil)
}

extension WorkerMessage {
    public var isBatch: Bool {
        if case .batch = self { true } else { false }
    }

    /// A worker's report about an attempt: `complete`, `fail` or `progress`.
    public var isReport: Bool {
        switch self {
        case .complete, .fail, .progress: true
        default: false
        }
    }
}
