import ArbiterMetrics
import ArbiterRedis

/// `arbiter_cluster_*` and `arbiter_redis_*`: whether this replica leads, the leader's epoch, this
/// replica's elections and depositions, cancel notices fanned out, the shared rate limits, and the
/// Redis client's commands.
struct ClusterMetrics: Sendable {
    let leads: Gauge
    let epoch: Gauge
    let changes: CounterFamily
    let fanOut: CounterFamily
    let relayed: CounterFamily
    let commands: CounterFamily
    let commandErrors: CounterFamily
    let commandDuration: Histogram
    let connects: CounterFamily
    let rateStarts: CounterFamily
    let rateFallback: Gauge

    init(registry: MetricRegistry) throws {
        self.leads = try registry.gauge("arbiter_cluster_leader", help: "1 while this replica leads the cluster, else 0.")
        self.epoch = try registry.gauge("arbiter_cluster_leader_epoch", help: "The leader's term, as this replica last learned it; it grows with every change of leader.")
        self.changes = try registry.counterFamily(
            "arbiter_cluster_leader_changes_total", help: "Times this replica became leader (elected) or stopped being it (deposed).", labelNames: ["change"])
        for change in ["elected", "deposed"] { _ = try self.changes.labels(change) }
        self.fanOut = try registry.counterFamily(
            "arbiter_cluster_cancel_notices_total",
            help: "Cancel notices fanned out through Redis: sent to the other replicas, received from them, delivered to a worker connected here.",
            labelNames: ["direction"])
        for direction in ["sent", "received", "delivered"] { _ = try self.fanOut.labels(direction) }
        self.relayed = try registry.counterFamily(
            "arbiter_cluster_events_total",
            help: "Events sent to the other replicas through Redis or received from them: capacity_freed, auth_failure, auth_success, token_revoked.",
            labelNames: ["event", "direction"])
        for event in ["capacity_freed", "auth_failure", "auth_success", "token_revoked"] {
            for direction in ["sent", "received"] { _ = try self.relayed.labels(event, direction) }
        }
        self.commands = try registry.counterFamily("arbiter_redis_commands_total", help: "Redis commands sent, by command.", labelNames: ["command"])
        self.commandErrors = try registry.counterFamily(
            "arbiter_redis_errors_total", help: "Redis commands that failed, by kind (connection, timeout, reply, closed).", labelNames: ["kind"])
        for kind in RedisError.Kind.allCases { _ = try self.commandErrors.labels(kind.rawValue) }
        self.commandDuration = try registry.histogram(
            "arbiter_redis_command_duration_seconds", help: "Time from sending a Redis command to its reply.",
            buckets: try HistogramBuckets([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]), unit: "seconds")
        self.connects = try registry.counterFamily(
            "arbiter_redis_connections_total", help: "Redis connections opened (new, or replacing a lost one: reconnect) and attempts that failed.",
            labelNames: ["result"])
        for result in ["new", "reconnect", "failed"] { _ = try self.connects.labels(result) }
        self.rateStarts = try registry.counterFamily(
            "arbiter_cluster_rate_fetches_total",
            help: "Takes from the rate-limit buckets the replicas share in Redis: some starts granted, none left (empty), or Redis not reached (error).",
            labelNames: ["result"])
        for result in ["granted", "empty", "error"] { _ = try self.rateStarts.labels(result) }
        self.rateFallback = try registry.gauge(
            "arbiter_cluster_rate_limit_degraded",
            help: "1 while Redis cannot be reached and this replica starts rate-limited types at its share of the rate, else 0.")
    }
}

/// What the Redis client reports, as `arbiter_redis_*`.
struct RedisMetrics: RedisObserver {
    let metrics: ClusterMetrics

    func command(_ name: String, duration: Duration, error: RedisError.Kind?) {
        try? self.metrics.commands.labels(name).increment()
        self.metrics.commandDuration.observe(Double(duration.components.attoseconds) / 1e18 + Double(duration.components.seconds))
        if let error { try? self.metrics.commandErrors.labels(error.rawValue).increment() }
    }

    func connected(replacing: Bool) {
        try? self.metrics.connects.labels(replacing ? "reconnect" : "new").increment()
    }

    func connectFailed(_ error: RedisError) {
        try? self.metrics.connects.labels("failed").increment()
    }
}
