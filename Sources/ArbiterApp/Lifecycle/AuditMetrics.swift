import ArbiterJobs
import ArbiterMetrics

/// `arbiter_audit_*`: entries written by action, how long a write takes, writes that failed (each
/// one a change refused, fail closed), and the chain's head: its length and the first 48 bits of its last
/// hash (refreshed by the job clock), which a Prometheus scraping them keeps outside Arbiter's reach.
struct AuditMetrics: AuditObserver {
    let events: CounterFamily
    let duration: Histogram
    let failures: Counter
    let chainLength: Gauge
    let headHashPrefix: Gauge

    init(registry: MetricRegistry) throws {
        self.events = try registry.counterFamily(
            "arbiter_audit_events_total", help: "Audit log entries written, by action.", labelNames: ["action"])
        self.duration = try registry.histogram(
            "arbiter_audit_write_duration_seconds", help: "Time to chain and write one audit entry (inside the change's transaction).",
            buckets: try HistogramBuckets([0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01]))
        self.failures = try registry.counter(
            "arbiter_audit_write_failures_total", help: "Audit writes that failed; each one's change was refused (fail closed).")
        self.chainLength = try registry.gauge("arbiter_audit_chain_length", help: "Entries in the audit log's hash chain.")
        self.headHashPrefix = try registry.gauge(
            "arbiter_audit_chain_head_hash_prefix",
            help: "The first 48 bits of the last audit entry's hash, as a number (arbiter audit verify --expect-head LENGTH:HEX).")
    }

    func written(action: String, duration: Duration) {
        try? self.events.labels(action).increment()
        self.duration.observe(duration)
    }

    func failed() {
        self.failures.increment()
    }

    func refresh(from store: any AuditStore) async throws {
        let head = try await store.auditChainHead()
        self.chainLength.set(Double(head?.seq ?? 0))
        self.headHashPrefix.set(head?.hashPrefix ?? 0)
    }
}
