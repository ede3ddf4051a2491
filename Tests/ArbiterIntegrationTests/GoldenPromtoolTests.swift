import ArbiterTesting
import Foundation
import Testing

/// The hand-checked golden exposition is also what promtool accepts without a lint message.
@Suite struct GoldenPromtoolTests {
    @Test(.enabled(if: ExternalTool.promtool.shouldRun))
    func goldenTextExpositionPassesPromtool() throws {
        let golden = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ArbiterMetricsTests/Golden/edge-cases.prom")
        let outcome = try Promtool.checkMetrics(try String(contentsOf: golden, encoding: .utf8))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.isEmpty)
    }
}
