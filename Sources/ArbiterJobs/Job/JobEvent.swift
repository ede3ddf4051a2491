/// Something that happens to a job. Every accepted event is one audited, metered transition.
public enum JobEvent: Sendable, Equatable, CaseIterable {
    /// The job's `run_at` has come.
    case runAtReached
    /// A worker took a lease on it.
    case leased
    /// The worker reported success.
    case succeeded
    /// The worker reported failure (or the attempt timed out).
    case failed
    /// The worker stopped heartbeating and the lease ran out.
    case leaseExpired
    /// A client or operator cancelled it.
    case cancel
    /// The user's consent for the job's scope was revoked or expired.
    case consentRevoked
    /// An operator asked for a dead or cancelled job to run again.
    case retry

    /// The name used in audit entries, logs and metrics.
    public var name: String {
        switch self {
        case .runAtReached: "run_at_reached"
        case .leased: "leased"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .leaseExpired: "lease_expired"
        case .cancel: "cancel"
        case .consentRevoked: "consent_revoked"
        case .retry: "retry"
        }
    }
}
