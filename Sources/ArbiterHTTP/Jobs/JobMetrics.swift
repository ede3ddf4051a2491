import ArbiterJobs
import ArbiterMetrics

/// The counters every job transition feeds, shared by the API, the dispatch path and the job clock.
///
/// Exact by construction: each is incremented once where the store confirmed the transition.
public struct JobMetrics: Sendable {
    let submitted: CounterFamily
    let finished: CounterFamily
    let attempts: CounterFamily
    let attemptsFailed: CounterFamily
    let leasesExpired: CounterFamily

    /// Registers the job counters.
    /// - Throws: ``MetricsError`` when a name is taken by another metric.
    public init(registry: MetricRegistry) throws {
        self.submitted = try registry.counterFamily(
            "arbiter_jobs_submitted_total", help: "Jobs accepted by the API (idempotent repeats not counted).", labelNames: ["job_type"])
        self.finished = try registry.counterFamily(
            "arbiter_jobs_finished_total", help: "Jobs that reached a final state, by outcome (succeeded, dead, cancelled).",
            labelNames: ["job_type", "outcome"])
        self.attempts = try registry.counterFamily("arbiter_job_attempts_total", help: "Attempts started (leases taken).", labelNames: ["job_type"])
        self.attemptsFailed = try registry.counterFamily(
            "arbiter_job_attempts_failed_total", help: "Attempts that failed, including those whose lease expired.", labelNames: ["job_type"])
        self.leasesExpired = try registry.counterFamily(
            "arbiter_leases_expired_total", help: "Leases that ran out before their worker reported.", labelNames: ["job_type"])
    }

    func jobSubmitted(_ job: JobRecord) {
        try? self.submitted.labels(job.type).increment()
    }

    func attemptStarted(_ job: JobRecord) {
        try? self.attempts.labels(job.type).increment()
    }

    /// After a worker's failure report or a lease expiry: the attempt failed, and the job may be dead.
    public func attemptFailed(_ job: JobRecord, leaseExpired: Bool) {
        try? self.attemptsFailed.labels(job.type).increment()
        if leaseExpired { try? self.leasesExpired.labels(job.type).increment() }
        if job.state == .dead { try? self.finished.labels(job.type, "dead").increment() }
    }

    func jobFinished(_ job: JobRecord) {
        guard job.state.isTerminal else { return }
        try? self.finished.labels(job.type, job.state.rawValue).increment()
    }
}
