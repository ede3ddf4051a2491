import ArbiterMetrics

/// `arbiter_store_*`: how the embedded store's group commits behave (operations per commit is the
/// batching factor; commit duration is dominated by the fsync).
struct StoreMetrics: Sendable {
    let commits: Counter
    let operations: Counter
    let duration: Histogram

    init(registry: MetricRegistry) throws {
        self.commits = try registry.counter("arbiter_store_commits_total", help: "Transactions committed by the store (each one fsync).")
        self.operations = try registry.counter(
            "arbiter_store_operations_total", help: "Store operations (submissions, leases, reports, reads) run inside those commits.")
        self.duration = try registry.histogram(
            "arbiter_store_commit_duration_seconds", help: "Time to run and commit one group of store operations.",
            buckets: try HistogramBuckets([0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]))
    }

    func committed(operations: Int, duration: Duration) {
        self.commits.increment()
        self.operations.increment(by: operations)
        self.duration.observe(duration)
    }
}
