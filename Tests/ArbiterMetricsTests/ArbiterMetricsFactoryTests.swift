import ArbiterMetrics
import CoreMetrics
import Testing

/// Libraries that report through swift-metrics land in the registry with Prometheus names.
@Suite struct ArbiterMetricsFactoryTests {
    @Test func swiftMetricsLandInTheRegistry() throws {
        let registry = MetricRegistry()
        let factory = ArbiterMetricsFactory(registry: registry)
        let counter = CoreMetrics.Counter(label: "hb.requests", dimensions: [("http.route", "/x"), ("http.method", "GET")], factory: factory)
        counter.increment(by: 3)
        let timer = CoreMetrics.Timer(label: "http.server.request.duration", dimensions: [], factory: factory)
        timer.recordNanoseconds(250_000_000)
        let meter = Meter(label: "active", dimensions: [], factory: factory)
        meter.set(4)
        var out: [UInt8] = []
        registry.render(.text, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains("hb_requests_total{http_method=\"GET\",http_route=\"/x\"} 3"))
        #expect(text.contains("http_server_request_duration_seconds_bucket{le=\"0.25\"} 1"))
        #expect(text.contains("http_server_request_duration_seconds_sum 0.25"))
        #expect(text.contains("active 4"))
    }

    @Test func aConflictingLibraryMetricIsDroppedNotFatal() throws {
        let registry = MetricRegistry()
        _ = try registry.gauge("taken_total", help: "A gauge.")
        let factory = ArbiterMetricsFactory(registry: registry)
        let counter = CoreMetrics.Counter(label: "taken", dimensions: [], factory: factory)
        counter.increment()
        var out: [UInt8] = []
        registry.render(.text, into: &out)
        #expect(!String(decoding: out, as: UTF8.self).contains("taken_total 1"))
    }
}
