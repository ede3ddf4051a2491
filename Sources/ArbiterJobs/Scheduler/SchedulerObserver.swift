/// How an attempt ended.
public enum AttemptOutcome: String, Sendable, CaseIterable {
    case succeeded
    case failed
    case leaseExpired = "lease_expired"
    case cancelled
}

/// Told of every transition the scheduler confirms with the store: metrics hang off this.
public protocol SchedulerObserver: Sendable {
    /// Jobs just leased to a worker (their attempts started at `now`).
    func leased(_ jobs: [JobRecord], now: Int64)
    /// An attempt ended; `job` is the job afterwards (its `startedAt` is the attempt's start).
    func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64)
    /// A job that was not running was cancelled.
    func cancelledWhileWaiting(_ job: JobRecord)
    /// A worker stopped cleanly (it drained, held nothing, and closed its connection) and was
    /// forgotten: not an offline event.
    func workerStopped(_ workerID: String)
}

extension SchedulerObserver {
    public func workerStopped(_ workerID: String) {}
}
