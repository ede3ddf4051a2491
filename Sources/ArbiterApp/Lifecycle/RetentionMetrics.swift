import ArbiterJobs
import ArbiterMetrics
import Foundation

/// `arbiter_jobs_pruned_total`, how long each pruning batch holds the store, and how large the store
/// is: `arbiter_store_size_bytes`, `arbiter_store_rows`, and (SQLite) the free space left beside it.
struct RetentionMetrics {
    let pruned: CounterFamily
    let batchDuration: Histogram
    let lastRun: Gauge
    let sizeBytes: Gauge
    let rows: GaugeFamily
    /// Only for the SQLite store: a PostgreSQL server's disk is not beside Arbiter.
    let diskFree: Gauge?

    init(registry: MetricRegistry, sqlite: Bool) throws {
        self.pruned = try registry.counterFamily(
            "arbiter_jobs_pruned_total", help: "Finished jobs removed by retention, with their attempts.", labelNames: ["job_type", "state"])
        self.batchDuration = try registry.histogram(
            "arbiter_retention_batch_duration_seconds", help: "Time to remove one batch of finished jobs (one store operation).",
            buckets: try HistogramBuckets([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]))
        self.lastRun = try registry.gauge(
            "arbiter_retention_last_run_timestamp_seconds", help: "When retention last finished a pass over the store (Unix seconds).")
        self.sizeBytes = try registry.gauge("arbiter_store_size_bytes", help: "The store's size on disk (SQLite: file and write-ahead log).")
        self.rows = try registry.gaugeFamily(
            "arbiter_store_rows", help: "Rows per table of the store (PostgreSQL: the planner's estimate).", labelNames: ["table"])
        self.diskFree = !sqlite ? nil : try registry.gauge(
            "arbiter_store_disk_free_bytes", help: "Bytes free to unprivileged users on the file system holding the SQLite store.")
    }

    func pruned(_ jobs: [PrunedJob], duration: Duration) {
        var counts: [[String]: Int] = [:]
        for job in jobs { counts[[job.type, job.state.rawValue], default: 0] += 1 }
        for (labels, count) in counts { try? self.pruned.labels(labels).increment(by: count) }
        self.batchDuration.observe(duration)
    }

    /// A pass finished at `now` (Unix ms) and found the store this large.
    func record(_ statistics: StoreStatistics, diskFree: Int64?, at now: Int64) {
        self.lastRun.set(Double(now) / 1000)
        self.sizeBytes.set(Double(statistics.sizeBytes))
        for (table, count) in statistics.rows { try? self.rows.labels(table).set(Double(count)) }
        if let diskFree { self.diskFree?.set(Double(diskFree)) }
    }

    /// Free bytes for unprivileged users on the file system holding `path`.
    static func freeBytes(at path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
