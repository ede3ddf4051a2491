import Foundation

/// CPU time per job over one measured phase, in microseconds, by where it was spent. The driver's own
/// time (submitting, polling) is not in it, nor is pgqueuer's producer's.
struct CPUPerJob {
    /// The Arbiter daemon, or every replica's together; `nil` for pgqueuer, which has none.
    var daemon: Double?
    /// The worker processes (Arbiter) or the consumer processes (pgqueuer).
    var workers: Double
    /// Every process of the PostgreSQL cluster.
    var postgres: Double
    /// The Redis the replicas coordinate through; `nil` where there is none.
    var redis: Double? = nil

    var total: Double { (self.daemon ?? 0) + self.workers + self.postgres + (self.redis ?? 0) }

    /// Each part's CPU seconds so far, at one instant.
    struct Reading {
        var daemon: Double
        var workers: Double
        var postgres: Double
        var redis: Double?

        /// Reads the daemon, the workers and the PostgreSQL server now.
        static func now(daemon: Int32, workers: [Int32], postmaster: Int32) -> Reading {
            self.now(daemons: [daemon], workers: workers, postmaster: postmaster)
        }

        /// Reads the daemons (summed), the workers, the PostgreSQL server and the Redis server, if any, now.
        static func now(daemons: [Int32], workers: [Int32], postmaster: Int32, redis: Int32? = nil) -> Reading {
            Reading(
                daemon: ProcessCPU.seconds(daemons), workers: ProcessCPU.seconds(workers), postgres: ProcessCPU.serverSeconds(postmaster: postmaster),
                redis: redis.map { ProcessCPU.seconds([$0]) })
        }
    }

    init(daemon: Double?, workers: Double, postgres: Double, redis: Double? = nil) {
        self.daemon = daemon
        self.workers = workers
        self.postgres = postgres
        self.redis = redis
    }

    /// What was used between two readings, divided among `jobs`.
    init(from start: Reading, to end: Reading, jobs: Int) {
        let microsecondsPerJob = 1e6 / Double(max(jobs, 1))
        var redis: Double?
        if let first = start.redis, let last = end.redis { redis = (last - first) * microsecondsPerJob }
        self.init(
            daemon: (end.daemon - start.daemon) * microsecondsPerJob, workers: (end.workers - start.workers) * microsecondsPerJob,
            postgres: (end.postgres - start.postgres) * microsecondsPerJob, redis: redis)
    }

    /// Every part divided by `divisor`: over the seconds of a window, what was used per second.
    func divided(by divisor: Double) -> CPUPerJob {
        CPUPerJob(
            daemon: self.daemon.map { $0 / divisor }, workers: self.workers / divisor, postgres: self.postgres / divisor,
            redis: self.redis.map { $0 / divisor })
    }

    /// `daemon 120.5 µs, workers 40.2 µs, postgres 95.0 µs; total 255.7 µs`, the workers under `workersName`.
    func summary(workersName: String) -> String {
        var parts: [String] = []
        if let daemon = self.daemon { parts.append("daemon " + Self.microseconds(daemon)) }
        parts.append("\(workersName) " + Self.microseconds(self.workers))
        // No PostgreSQL behind a daemon on its embedded store.
        if self.daemon == nil || self.postgres > 0 { parts.append("postgres " + Self.microseconds(self.postgres)) }
        if let redis = self.redis { parts.append("redis " + Self.microseconds(redis)) }
        return parts.joined(separator: ", ") + "; total " + Self.microseconds(self.total)
    }

    private static func microseconds(_ value: Double) -> String {
        String(format: "%.1f µs", value)
    }
}
