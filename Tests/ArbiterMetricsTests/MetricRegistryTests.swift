import ArbiterMetrics
import Logging
import Testing

@Suite struct MetricRegistryTests {
    func render(_ registry: MetricRegistry, _ format: ExpositionFormat = .text) -> String {
        var out: [UInt8] = []
        registry.render(format, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func registeringTheSameFamilyAgainReturnsIt() throws {
        let registry = MetricRegistry()
        let first = try registry.counterFamily("jobs_total", help: "Jobs.", labelNames: ["type"])
        let second = try registry.counterFamily("jobs_total", help: "Jobs.", labelNames: ["type"])
        #expect(first === second)
        try first.labels("email").increment()
        try second.labels("email").increment()
        #expect(try first.labels("email").value == 2)
    }

    @Test func conflictingRegistrationsThrowAndSayWhatDiffers() throws {
        let registry = MetricRegistry()
        _ = try registry.counterFamily("jobs_total", help: "Jobs.", labelNames: ["type"])
        let typeClash = #expect(throws: MetricsError.self) { try registry.gaugeFamily("jobs", help: "Jobs.", labelNames: ["type"]) }
        #expect(typeClash?.code == .conflictingRegistration)
        #expect(typeClash?.message.contains("type counter, not gauge") == true)
        let helpClash = #expect(throws: MetricsError.self) { try registry.counterFamily("jobs_total", help: "Other.", labelNames: ["type"]) }
        #expect(helpClash?.message.contains("help \"Jobs.\", not \"Other.\"") == true)
        let labelClash = #expect(throws: MetricsError.self) { try registry.counterFamily("jobs_total", help: "Jobs.", labelNames: ["kind"]) }
        #expect(labelClash?.message.contains("label names [type], not [kind]") == true)
        let sampleClash = #expect(throws: MetricsError.self) { try registry.gauge("jobs_total", help: "Jobs.") }
        #expect(sampleClash?.message.contains("already used by metric jobs") == true)
        _ = try registry.histogramFamily("latency_seconds", help: "L.", buckets: try HistogramBuckets([1, 2]))
        let bucketClash = #expect(throws: MetricsError.self) {
            try registry.histogramFamily("latency_seconds", help: "L.", buckets: try HistogramBuckets([1, 3]))
        }
        #expect(bucketClash?.message.contains("different buckets") == true)
        let suffixClash = #expect(throws: MetricsError.self) { try registry.gauge("latency_seconds_count", help: "C.") }
        #expect(suffixClash?.code == .conflictingRegistration)
    }

    @Test func badNamesAndLabelsAreRefused() {
        let registry = MetricRegistry()
        #expect(throws: MetricsError.self) { try registry.counter("1jobs_total", help: "x") }
        #expect(throws: MetricsError.self) { try registry.counter("jobs-total", help: "x") }
        #expect(throws: MetricsError.self) { try registry.counterFamily("a_total", help: "x", labelNames: ["__name"]) }
        #expect(throws: MetricsError.self) { try registry.counterFamily("b_total", help: "x", labelNames: ["a", "a"]) }
        #expect(throws: MetricsError.self) { try registry.counterFamily("c_total", help: "x", labelNames: ["a-b"]) }
        #expect(throws: MetricsError.self) { try registry.histogramFamily("d", help: "x", labelNames: ["le"]) }
        #expect(throws: MetricsError.self) { try registry.gauge("e_bytes", help: "x", unit: "seconds") }
        #expect(throws: MetricsError.self) { try HistogramBuckets([1, 1]) }
        #expect(throws: MetricsError.self) { try HistogramBuckets([.nan]) }
        #expect(throws: MetricsError.self) { try HistogramBuckets([]) }
    }

    @Test func labelValuesAreChecked() throws {
        let registry = MetricRegistry()
        let family = try registry.counterFamily("jobs_total", help: "Jobs.", labelNames: ["type", "queue"])
        let wrongCount = #expect(throws: MetricsError.self) { try family.labels("email") }
        #expect(wrongCount?.message == "metric jobs: expected 2 label values (type, queue), got 1")
        #expect(throws: MetricsError.self) { try family.labels("x", String(repeating: "y", count: 5000)) }
        // Any UTF-8 is a valid value.
        try family.labels("ünïcødé", "").increment()
        #expect(self.render(registry).contains("jobs_total{type=\"ünïcødé\",queue=\"\"} 1"))
    }

    @Test func seriesBeyondTheLimitAreDroppedAndCounted() throws {
        let registry = MetricRegistry(options: .init(seriesLimit: 3))
        let family = try registry.counterFamily("requests_total", help: "R.", labelNames: ["path"])
        for index in 0..<10 {
            try family.labels("/p\(index)").increment()
        }
        #expect(family.seriesCount == 3)
        let text = self.render(registry)
        #expect(text.contains("requests_total{path=\"/p2\"} 1"))
        #expect(!text.contains("/p3"))
        #expect(text.contains("arbiter_metrics_series_dropped_total{family=\"requests\"} 7"))
        // Existing series keep working at the limit.
        try family.labels("/p0").increment()
        #expect(try family.labels("/p0").value == 2)
    }

    @Test func familiesAreSortedAndSeriesKeepTheirOrder() throws {
        let registry = MetricRegistry()
        let zeta = try registry.gaugeFamily("zeta", help: "Z.", labelNames: ["k"])
        let alpha = try registry.gauge("alpha", help: "A.")
        try zeta.labels("b").set(1)
        try zeta.labels("a").set(2)
        alpha.set(3)
        let lines = self.render(registry).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.first == "alpha 3")
        #expect(lines.suffix(2) == ["zeta{k=\"b\"} 1", "zeta{k=\"a\"} 2"])
        #expect(self.render(registry) == self.render(registry))
    }

    @Test func emptyFamiliesAreNotWritten() throws {
        let registry = MetricRegistry()
        _ = try registry.counterFamily("unused_total", help: "U.", labelNames: ["k"])
        #expect(!self.render(registry).contains("unused_total"))
    }

    @Test func countersNeverGoDown() throws {
        let registry = MetricRegistry()
        let counter = try registry.counter("c_total", help: "C.")
        counter.increment(by: 2.5)
        counter.increment(by: -1)
        counter.increment(by: .nan)
        counter.increment(by: 3)
        #expect(counter.value == 5.5)
    }

    @Test func histogramsCountIntoTheRightBuckets() throws {
        let registry = MetricRegistry()
        let histogram = try registry.histogram("h_seconds", help: "H.", buckets: try HistogramBuckets([0.1, 1, 10]), unit: "seconds")
        for value in [0.05, 0.1, 0.5, 1, 5, 50, -1] { histogram.observe(value) }
        #expect(histogram.cumulativeCounts == [3, 5, 6, 7])
        #expect(histogram.count == 7)
        #expect(histogram.sum == 55.65)
        histogram.observe(.milliseconds(250))
        #expect(histogram.cumulativeCounts == [3, 6, 7, 8])
    }
}
