import ArbiterMetrics
import Foundation
import Testing

/// The exact bytes of both formats for escaping and number edge cases, checked against files in
/// `Golden/`. Run with `ARBITER_UPDATE_GOLDEN=1` to rewrite them after a deliberate change, then
/// review the diff.
@Suite struct ExpositionGoldenTests {
    static func edgeCaseRegistry() throws -> MetricRegistry {
        let registry = MetricRegistry()
        let events = try registry.counterFamily(
            "golden_events_total", help: "Events with \"quotes\", a backslash \\ and\na line feed.", labelNames: ["value"])
        for value in ["quote \"q\"", "back\\slash", "line\nfeed", "ünïcødé ✓ 日本", "", "tab\there", "}{,="] {
            try events.labels(value).increment()
        }
        let values = try registry.gaugeFamily("golden_values", help: "Number edge cases.", labelNames: ["case"])
        let numbers: [(String, Double)] = [
            ("nan", .nan), ("plus_inf", .infinity), ("minus_inf", -.infinity), ("zero", 0), ("minus_one", -1),
            ("tiny", 0.00001), ("small", 0.0001), ("tenth", 0.1), ("million", 1_000_000), ("big", 1_234_567),
            ("fraction", 1234.5678), ("negative_tiny", -2.5e-7), ("huge", 1.7976931348623157e308),
        ]
        for (name, number) in numbers { try values.labels(name).set(number) }
        let big = try registry.counter("golden_big_total", help: "A very large counter.")
        big.increment(by: 123_456_789_012_345_678)
        let fractional = try registry.counter("golden_cpu_seconds_total", help: "A fractional counter with a unit.", unit: "seconds")
        fractional.increment(by: 12.75)
        let latency = try registry.histogramFamily(
            "golden_latency_seconds", help: "A histogram.", labelNames: ["route"],
            buckets: try HistogramBuckets([0.001, 0.5, 1, 2.5, 1_000_000]), unit: "seconds")
        for value in [0.0005, 0.3, 0.7, 1, 3, 2_000_000] { try latency.labels("/api/v1/jobs/{id}").observe(value) }
        _ = try latency.labels("/health")
        return registry
    }

    static func golden(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").appendingPathComponent(name)
    }

    @Test(arguments: [(ExpositionFormat.text, "edge-cases.prom"), (.openMetrics, "edge-cases.openmetrics")])
    func matchesGoldenFile(format: ExpositionFormat, file: String) throws {
        var out: [UInt8] = []
        try Self.edgeCaseRegistry().render(format, into: &out)
        let rendered = String(decoding: out, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("arbiter_metrics_series_dropped") }
            .joined(separator: "\n")
        if ProcessInfo.processInfo.environment["ARBITER_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: Self.golden(file), atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden(file), encoding: .utf8)
        #expect(rendered == expected)
    }
}
