import ArbiterTesting
import Foundation
import Testing

/// The hand-checked golden exposition is also what promtool accepts without a lint message.
@Suite struct GoldenPromtoolTests {
    @Test(.enabled(if: ExternalTool.promtool.shouldRun))
    func goldenTextExpositionPassesPromtool() async throws {
        let golden = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ArbiterMetricsTests/Golden/edge-cases.prom")
        let outcome = try await Promtool.checkMetrics(try String(contentsOf: golden, encoding: .utf8))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
    }
}
