import ArbiterJobs
import ArbiterMetrics

/// `arbiter_audit_*`: entries written by action, how long a write takes, writes that failed (each
/// one a change refused, fail closed), and the chain's length (refreshed by the job clock).
struct AuditMetrics: AuditObserver {
    let events: CounterFamily
    let duration: Histogram
    let failures: Counter
    let chainLength: Gauge

    init(registry: MetricRegistry) throws {
        self.events = try registry.counterFamily(
            "arbiter_audit_events_total", help: "Audit log entries written, by action.", labelNames: ["action"])
        self.duration = try registry.histogram(
            "arbiter_audit_write_duration_seconds", help: "Time to chain and write one audit entry (inside the change's transaction).",
            buckets: try HistogramBuckets([0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01]))
        self.failures = try registry.counter(
            "arbiter_audit_write_failures_total", help: "Audit writes that failed; each one's change was refused (fail closed).")
        self.chainLength = try registry.gauge("arbiter_audit_chain_length", help: "Entries in the audit log's hash chain.")
    }

    func written(action: String, duration: Duration) {
        try? self.events.labels(action).increment()
        self.duration.observe(duration)
    }

    func failed() {
        self.failures.increment()
    }

    func refresh(from store: any AuditStore) async throws {
        self.chainLength.set(Double(try await store.auditChainLength()))
    }
}
