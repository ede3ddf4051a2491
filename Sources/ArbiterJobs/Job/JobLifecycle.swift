/// A job's state machine as a value: each event either moves it (and says what the caller must do)
/// or is refused, and nothing else can change the state.
///
/// I/O happens outside: the store persists the new state and the returned actions in one
/// transaction, together with the audit entry.
public struct JobLifecycle: Sendable, Equatable {
    /// The current state.
    public private(set) var state: JobState
    /// Attempts started so far (a lease starts one).
    public private(set) var attempts: Int
    /// Attempts allowed in total.
    public let maxAttempts: Int

    /// What the caller must do after a transition. The store carries out its share in the
    /// transition's transaction (the attempt and its lease, the cleared lease, the retry's `run_at`,
    /// the final outcome); once the store has confirmed the transition, the ``Scheduler`` carries
    /// out what reaches beyond the row: the worker's slot or a ``CancelNotice`` for `releaseLease`,
    /// that notice's reason for `signalWorkerCancel`, the retry's due time for `scheduleRetry`.
    public enum Action: Sendable, Equatable {
        /// Start the attempt's timeout and hand the job to the worker.
        case startAttempt(number: Int)
        /// Drop the lease (its token is no longer valid).
        case releaseLease
        /// Schedule the next attempt after the retry policy's backoff for this attempt number.
        case scheduleRetry(afterAttempt: Int)
        /// Tell the worker holding the lease to stop.
        case signalWorkerCancel
        /// Record the job's final outcome.
        case finish(JobState)
    }

    /// A job as submitted: `scheduled` when it has a future `run_at`, `queued` otherwise.
    /// - Parameters:
    ///   - delayed: Whether its `run_at` is in the future.
    ///   - maxAttempts: Attempts allowed (at least 1).
    public init(delayed: Bool, maxAttempts: Int) {
        self.state = delayed ? .scheduled : .queued
        self.attempts = 0
        self.maxAttempts = max(1, maxAttempts)
    }

    /// Rebuilds the lifecycle of a stored job.
    public init(state: JobState, attempts: Int, maxAttempts: Int) {
        self.state = state
        self.attempts = max(0, attempts)
        self.maxAttempts = max(1, maxAttempts)
    }

    /// Applies an event.
    /// - Parameter event: What happened.
    /// - Returns: The actions the caller must carry out, in order.
    /// - Throws: ``JobTransitionError`` when the event is not allowed in the current state; the
    ///   lifecycle is then unchanged.
    public mutating func apply(_ event: JobEvent) throws(JobTransitionError) -> [Action] {
        switch (self.state, event) {
        case (.scheduled, .runAtReached):
            self.state = .queued
            return []
        case (.queued, .leased) where self.attempts < self.maxAttempts:
            self.attempts += 1
            self.state = .running
            return [.startAttempt(number: self.attempts)]
        case (.running, .succeeded):
            self.state = .succeeded
            return [.releaseLease, .finish(.succeeded)]
        case (.running, .failed):
            if self.attempts < self.maxAttempts {
                self.state = .scheduled
                return [.releaseLease, .scheduleRetry(afterAttempt: self.attempts)]
            }
            self.state = .dead
            return [.releaseLease, .finish(.dead)]
        case (.running, .leaseExpired):
            // The attempt was counted when the lease was taken.
            if self.attempts < self.maxAttempts {
                self.state = .queued
                return [.releaseLease]
            }
            self.state = .dead
            return [.releaseLease, .finish(.dead)]
        case (.scheduled, .cancel), (.queued, .cancel), (.scheduled, .consentRevoked), (.queued, .consentRevoked):
            self.state = .cancelled
            return [.finish(.cancelled)]
        case (.running, .cancel):
            self.state = .cancelled
            return [.signalWorkerCancel, .releaseLease, .finish(.cancelled)]
        case (.dead, .retry), (.cancelled, .retry):
            // An operator's retry grants a fresh set of attempts.
            self.state = .queued
            self.attempts = 0
            return []
        default:
            throw JobTransitionError(state: self.state, event: event)
        }
    }
}

/// An event that is not allowed in the job's current state.
public struct JobTransitionError: Error, Equatable, CustomStringConvertible {
    /// The state the job was in.
    public let state: JobState
    /// The refused event.
    public let event: JobEvent

    public var description: String {
        "a \(self.state.rawValue) job cannot take the event \(self.event.name)"
    }
}
