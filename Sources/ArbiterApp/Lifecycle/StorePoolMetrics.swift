import ArbiterMetrics
import ArbiterPostgres
import Logging

/// What the PostgreSQL store's connections do, as metrics and log lines: the pool (in use, open,
/// waiting, wait time), reconnects, failed connection attempts and failed statements by SQLSTATE class.
/// Group commits go to the same `arbiter_store_commit*` metrics as SQLite's.
final class StorePoolMetrics: PostgresObserver {
    let inUse: Gauge
    let open: Gauge
    let waiting: Gauge
    let wait: Histogram
    let reconnects: Counter
    let connectFailures: Counter
    let queryErrors: CounterFamily
    let commits: StoreMetrics
    let logger: Logger
    /// Connection attempts failed in a row: logged at the 1st, 2nd, 4th, 8th…, not at every retry.
    private let failures = FailureStreak()

    init(registry: MetricRegistry, logger: Logger, commits: StoreMetrics) throws {
        self.inUse = try registry.gauge("arbiter_store_pool_connections_in_use", help: "PostgreSQL connections lent to store operations now.")
        self.open = try registry.gauge("arbiter_store_pool_connections_open", help: "PostgreSQL connections the store holds open now.")
        self.waiting = try registry.gauge("arbiter_store_pool_waiting", help: "Store operations waiting for a free PostgreSQL connection now.")
        self.wait = try registry.histogram(
            "arbiter_store_pool_wait_seconds", help: "How long a store operation waited for a PostgreSQL connection.",
            buckets: try HistogramBuckets([0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]))
        self.reconnects = try registry.counter(
            "arbiter_store_reconnects_total", help: "PostgreSQL connections opened to replace one that was lost.")
        self.connectFailures = try registry.counter(
            "arbiter_store_connect_failures_total", help: "Attempts to connect to PostgreSQL that failed.")
        self.queryErrors = try registry.counterFamily(
            "arbiter_store_query_errors_total", help: "PostgreSQL statements that failed, by SQLSTATE class (08: connection lost).",
            labelNames: ["class"])
        self.commits = commits
        self.logger = logger
    }

    func poolChanged(inUse: Int, open: Int, waiting: Int) {
        self.inUse.set(Double(inUse))
        self.open.set(Double(open))
        self.waiting.set(Double(waiting))
    }

    func acquired(after wait: Duration) {
        self.wait.observe(wait)
    }

    func connected(replacing: Bool) {
        let failed = self.failures.succeeded()
        guard replacing || failed > 0 else { return }
        if replacing { self.reconnects.increment() }
        self.logger.notice("store reconnected", metadata: ["failed_attempts": "\(failed)"])
    }

    func connectFailed(_ error: PostgresError) {
        self.connectFailures.increment()
        if let count = self.failures.failed() {
            self.logger.warning("store connection failed", metadata: ["error": "\(error)", "attempts_in_a_row": "\(count)"])
        }
    }

    func queryFailed(_ error: PostgresError) {
        try? self.queryErrors.labels([String(error.sqlState.prefix(2))]).increment()
    }

    func groupCommitted(operations: Int, duration: Duration, committed: Bool) {
        if committed { self.commits.committed(operations: operations, duration: duration) }
    }
}
