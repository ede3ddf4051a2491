/// Where a job is in its life (DESIGN.md §3).
///
/// ```
///  scheduled ─(run_at reached)─▶ queued ─(leased)─▶ running ─(success)─▶ succeeded
///      ▲                          ▲                   ├─(failure, attempts left)─▶ scheduled (backoff)
///      │                          │                   ├─(failure, none left)─────▶ dead
///      │                          └──(lease expired, attempts left)───────────┘ (none left: dead)
///  queued|scheduled|running ─(cancel)─▶ cancelled     queued|scheduled ─(consent revoked)─▶ cancelled
///  dead|cancelled ─(retry, by an operator)─▶ queued
/// ```
public enum JobState: String, Sendable, CaseIterable, Codable {
    /// Waiting for its `run_at` (a delayed job, or a retry backing off).
    case scheduled
    /// Eligible to run, waiting for a worker.
    case queued
    /// Leased to a worker.
    case running
    /// Finished successfully. Terminal.
    case succeeded
    /// Failed on its last allowed attempt. Terminal until an operator retries it.
    case dead
    /// Cancelled by a client, an operator or a consent revocation. Terminal until retried.
    case cancelled

    /// Whether nothing more happens to the job on its own.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .dead, .cancelled: true
        case .scheduled, .queued, .running: false
        }
    }
}
