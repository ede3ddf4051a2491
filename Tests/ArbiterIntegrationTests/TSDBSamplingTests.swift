import ArbiterTesting
import Foundation
import Testing

/// A running daemon samples its own registry into the time-series store every `tsdb.sample_interval`.
@Suite struct TSDBSamplingTests {
    func value(_ name: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test func theRegistryIsSampledEveryInterval() async throws {
        try await ArbiterServer.with(config: "tsdb:\n  sample_interval: 200ms\n") { server in
            var first = 0.0
            var series = 0.0
            try await Polling.until("two rounds are sampled", timeout: .seconds(10)) {
                let metrics = try await server.get("/metrics").text
                first = self.value("arbiter_tsdb_head_samples_appended_total", in: metrics) ?? 0
                series = self.value("arbiter_tsdb_head_series", in: metrics) ?? 0
                return series > 50 && first > 100
            }
            // Sampling goes on at the configured 200 ms: three more rounds (each appends a sample per
            // series) land well within 8 s on a loaded machine, where the default 5 s would need 10 s.
            var metrics = ""
            try await Polling.until("three more rounds are sampled", timeout: .seconds(8)) {
                metrics = try await server.get("/metrics").text
                return (self.value("arbiter_tsdb_head_samples_appended_total", in: metrics) ?? 0) >= first + 3 * series
            }
            let bytes = self.value("arbiter_tsdb_head_chunks_bytes", in: metrics) ?? 0
            let samples = self.value("arbiter_tsdb_head_samples_appended_total", in: metrics) ?? 1
            #expect(bytes > 0 && bytes / samples < 16, "\(bytes) bytes for \(samples) samples")
        }
    }
}
