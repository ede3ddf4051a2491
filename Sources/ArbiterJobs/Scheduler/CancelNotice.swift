/// A running job its worker must stop: the job was cancelled, or the lease the worker held it
/// under ran out (the job is queued again, or dead). The worker is told with `cancel`; a report
/// about that lease would be refused.
public struct CancelNotice: Sendable, Equatable {
    /// The reason given when a lease ran out.
    public static let leaseExpired = "lease expired"

    public var jobID: String
    /// Why: the cancellation's reason, or ``leaseExpired``.
    public var reason: String
    /// The lease that ended: a worker that holds the job under a later lease is not told.
    public var leaseToken: Int64

    public init(jobID: String, reason: String, leaseToken: Int64) {
        self.jobID = jobID
        self.reason = reason
        self.leaseToken = leaseToken
    }
}
