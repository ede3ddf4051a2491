import ArbiterJobs
import ArbiterMetrics

/// The job metrics, fed by the scheduler (as its observer) and the submission API.
///
/// Exact by construction: each is updated once, where the store confirmed the transition.
public struct JobMetrics: SchedulerObserver {
    let submitted: CounterFamily
    let finished: CounterFamily
    /// Dry runs, counted apart as well: submitted, and how they finished.
    let dryRuns: CounterFamily
    let attempts: CounterFamily
    let attemptsFailed: CounterFamily
    let leasesExpired: CounterFamily
    let wait: HistogramFamily
    let run: HistogramFamily
    /// Consent checks, grants, revocations and credential releases.
    public let consent: ConsentMetrics
    let dispatchLatency: Histogram
    let workersStopped: CounterFamily

    /// Buckets for job wait and run times: 1 ms to 1 h.
    static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

    /// Registers the job metrics.
    /// - Throws: ``MetricsError`` when a name is taken by another metric.
    public init(registry: MetricRegistry) throws {
        self.consent = try ConsentMetrics(registry: registry)
        self.submitted = try registry.counterFamily(
            "arbiter_jobs_submitted_total", help: "Jobs accepted by the API (idempotent repeats not counted).", labelNames: ["job_type"])
        self.finished = try registry.counterFamily(
            "arbiter_jobs_finished_total", help: "Jobs that reached a final state, by outcome (succeeded, dead, cancelled).",
            labelNames: ["job_type", "outcome"])
        self.dryRuns = try registry.counterFamily(
            "arbiter_dry_run_jobs_total", help: "Dry-run jobs (also in the other job metrics): submitted, and finished by outcome.",
            labelNames: ["job_type", "event"])
        self.attempts = try registry.counterFamily("arbiter_job_attempts_total", help: "Attempts started (leases taken).", labelNames: ["job_type"])
        self.attemptsFailed = try registry.counterFamily(
            "arbiter_job_attempts_failed_total", help: "Attempts that failed, including those whose lease expired.", labelNames: ["job_type"])
        self.leasesExpired = try registry.counterFamily(
            "arbiter_leases_expired_total", help: "Leases that ran out before their worker reported.", labelNames: ["job_type"])
        let buckets = try HistogramBuckets(Self.durationBuckets)
        self.wait = try registry.histogramFamily(
            "arbiter_job_wait_seconds", help: "Time from a job becoming eligible (due and queued) to an attempt starting.", labelNames: ["job_type"],
            buckets: buckets)
        self.run = try registry.histogramFamily(
            "arbiter_job_run_seconds", help: "Attempt duration from lease to the worker's report (or expiry, or cancellation), by outcome.",
            labelNames: ["job_type", "outcome"], buckets: buckets)
        self.dispatchLatency = try registry.histogram(
            "arbiter_dispatch_latency_seconds", help: "Time from a job becoming eligible to its assignment being handed to a worker.",
            buckets: try HistogramBuckets([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]))
        self.workersStopped = try registry.counterFamily(
            "arbiter_worker_stops_total",
            help: "Times the worker stopped cleanly (drained, held nothing, closed its connection): not an offline event.",
            labelNames: ["worker_id"])
    }

    /// Creates the job types' and workers' counters at 0, so that their first increase shows in a
    /// `rate` (a series that starts at 1 hides its first event from Prometheus).
    public func prepare(jobTypes: some Sequence<String>, workerIDs: some Sequence<String>) {
        for type in jobTypes {
            for family in [self.submitted, self.attempts, self.attemptsFailed, self.leasesExpired] { _ = try? family.labels(type) }
            for outcome in [JobState.succeeded, .dead, .cancelled] { _ = try? self.finished.labels(type, outcome.rawValue) }
        }
        for id in workerIDs { _ = try? self.workersStopped.labels(id) }
    }

    func jobSubmitted(_ job: JobRecord) {
        try? self.submitted.labels(job.type).increment()
        if job.dryRun { try? self.dryRuns.labels(job.type, "submitted").increment() }
    }

    /// When a job became eligible to start: due and queued.
    static func eligibleAt(_ job: JobRecord) -> Int64 {
        max(job.runAt, job.queuedAt ?? job.runAt)
    }

    public func leased(_ jobs: [JobRecord], now: Int64) {
        for job in jobs {
            try? self.attempts.labels(job.type).increment()
            try? self.wait.labels(job.type).observe(Double(max(0, now - Self.eligibleAt(job))) / 1000)
        }
    }

    /// An assignment was handed to a worker (written to its socket or HTTP response).
    func assigned(_ job: JobRecord, now: Int64) {
        self.dispatchLatency.observe(Double(max(0, now - Self.eligibleAt(job))) / 1000)
        self.consent.assigned(job)
    }

    public func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {
        if let started = job.startedAt {
            try? self.run.labels(job.type, outcome.rawValue).observe(Double(max(0, now - started)) / 1000)
        }
        switch outcome {
        case .failed, .leaseExpired:
            try? self.attemptsFailed.labels(job.type).increment()
            if outcome == .leaseExpired { try? self.leasesExpired.labels(job.type).increment() }
        case .succeeded, .cancelled: break
        }
        if job.state.isTerminal { self.finished(job, job.state.rawValue) }
    }

    private func finished(_ job: JobRecord, _ outcome: String) {
        try? self.finished.labels(job.type, outcome).increment()
        if job.dryRun { try? self.dryRuns.labels(job.type, outcome).increment() }
    }

    public func cancelledWhileWaiting(_ job: JobRecord) {
        self.finished(job, "cancelled")
    }

    public func workerStopped(_ workerID: String) {
        try? self.workersStopped.labels(workerID).increment()
    }
}
