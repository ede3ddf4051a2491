import ArbiterMetrics

/// `arbiter_notifications_*`, mirroring Prometheus's `prometheus_notifications_*`.
struct NotifierMetrics: Sendable {
    let sentFamily: CounterFamily
    let errorsFamily: CounterFamily
    let latencyFamily: HistogramFamily
    let dropped: Counter
    let queueLength: Gauge
    let queueCapacity: Gauge
    let discovered: Gauge

    init(registry: MetricRegistry, alertmanagers: [String], capacity: Int) throws {
        self.sentFamily = try registry.counterFamily(
            "arbiter_notifications_sent_total", help: "Alerts sent, by Alertmanager.", labelNames: ["alertmanager"])
        self.errorsFamily = try registry.counterFamily(
            "arbiter_notifications_errors_total", help: "Alerts whose send to an Alertmanager failed, by Alertmanager.", labelNames: ["alertmanager"])
        self.latencyFamily = try registry.histogramFamily(
            "arbiter_notifications_latency_seconds", help: "Time to send a batch of alerts, by Alertmanager.", labelNames: ["alertmanager"],
            unit: "seconds")
        self.dropped = try registry.counter(
            "arbiter_notifications_dropped_total", help: "Alerts dropped: the queue was full, or no Alertmanager took them.")
        self.queueLength = try registry.gauge("arbiter_notifications_queue_length", help: "Alerts waiting to be sent.")
        self.queueCapacity = try registry.gauge("arbiter_notifications_queue_capacity", help: "Alerts the queue holds at most.")
        self.discovered = try registry.gauge("arbiter_notifications_alertmanagers_discovered", help: "Alertmanagers alerts are sent to.")
        self.queueCapacity.set(Double(capacity))
        self.discovered.set(Double(alertmanagers.count))
        for alertmanager in alertmanagers {
            _ = try self.sentFamily.labels([alertmanager])
            _ = try self.errorsFamily.labels([alertmanager])
        }
    }

    func sent(_ alertmanager: String, _ count: Int) { try? self.sentFamily.labels([alertmanager]).increment(by: count) }
    func failed(_ alertmanager: String, _ count: Int) { try? self.errorsFamily.labels([alertmanager]).increment(by: count) }
    func latency(_ alertmanager: String, _ seconds: Double) { try? self.latencyFamily.labels([alertmanager]).observe(seconds) }
}
