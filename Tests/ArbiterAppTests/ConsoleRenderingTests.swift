@testable import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterPromQL
import ArbiterTesting
import Foundation
import Testing

/// The console's pieces that need no server: escaping, the job filters, the sessions' clock, and the
/// shipped dashboards as the console reads and queries them.
@Suite struct ConsoleRenderingTests {
    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let name = #"<script>alert("x")</script> & 'y'"#
        let cell: Markup = "<td title=\"\(name)\">\(name)</td>"
        #expect(cell.text == "<td title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>")
        let inner: Markup = "<b>\(name)</b>"
        let outer: Markup = "<p>\(inner)</p>"
        #expect(outer.text.hasPrefix("<p><b>&lt;script"))
    }

    @Test func jobFiltersReadBrowserTimesAndNameTheFieldTheyRefuse() throws {
        let query = try ConsoleJobQuery(["state": "dead", "q": " zebra ", "created_after": "2026-12-06T10:30", "other": "x", "tag": ""])
        #expect(query.filter.state == .dead)
        #expect(query.filter.search == "zebra")
        #expect(query.filter.createdAfter == 1_796_553_000_000)
        #expect(query.filter.tag == nil)
        #expect(query.query == "q=zebra&state=dead&created_after=2026-12-06T10%3A30")
        #expect(throws: APIError.self) { try ConsoleJobQuery(["state": "sleeping"]) }
        do {
            _ = try ConsoleJobQuery(["created_before": "yesterday"])
            Issue.record("a time that cannot be read is refused")
        } catch let error as APIError {
            #expect(error.field == "created_before")
        }
    }

    @Test func sessionsEndAfterIdlingOrTheirLifetime() throws {
        let clock = ManualClock()
        let sessions = try ConsoleSessions(registry: MetricRegistry(), clock: clock, lifetime: .seconds(3600), idle: .seconds(600), capacity: 2)
        let kept = sessions.open(credential: "a")
        let idle = sessions.open(credential: "b")
        #expect(kept.csrf != kept.id && kept.id.count == 43)
        clock.advance(by: .seconds(500))
        #expect(sessions.session(id: kept.id) != nil)
        clock.advance(by: .seconds(200))
        #expect(sessions.session(id: idle.id) == nil, "idle for 700 s")
        #expect(sessions.session(id: kept.id) != nil, "used 200 s ago")
        for _ in 0..<6 {
            clock.advance(by: .seconds(500))
            _ = sessions.session(id: kept.id)
        }
        #expect(sessions.session(id: kept.id) == nil, "past its lifetime however busy")
        // Beyond its capacity the session idle longest gives way.
        let first = sessions.open(credential: "c")
        clock.advance(by: .seconds(1))
        let second = sessions.open(credential: "d")
        _ = sessions.open(credential: "e")
        #expect(sessions.session(id: first.id) == nil)
        #expect(sessions.session(id: second.id) != nil)
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theEmbeddedDashboardsAreTheShippedFiles() throws {
        let directory = Self.repository.appendingPathComponent("dashboards")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(EmbeddedDashboards.files.map(\.name) == names, "run scripts/embed-dashboards")
        for (name, json) in EmbeddedDashboards.files {
            let file = try Data(contentsOf: directory.appendingPathComponent(name))
            let shipped = try JSONSerialization.jsonObject(with: file) as? NSDictionary
            let embedded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
            #expect(shipped != nil && shipped == embedded, "\(name): run scripts/embed-dashboards")
        }
        #expect(ConsoleDashboard.all.count == names.count)
    }

    /// Every query of every drawn panel parses once Grafana's variables are replaced as the console does.
    @Test func everyDrawnPanelsQueryParses() throws {
        var drawn = 0
        for dashboard in ConsoleDashboard.all {
            for panel in dashboard.panels where panel.type == "timeseries" || panel.type == "stat" {
                #expect(!panel.targets.isEmpty, "\(dashboard.uid) / \(panel.title) has a query")
                for target in panel.targets {
                    let text = dashboard.query(target.expr, step: 30_000, range: 3_600_000, sampleInterval: 15_000)
                    #expect(!text.contains("$"), "\(dashboard.uid) / \(panel.title): \(text)")
                    #expect(throws: Never.self, "\(dashboard.uid) / \(panel.title): \(text)") { _ = try Parser.parse(text) }
                    drawn += 1
                }
            }
        }
        #expect(drawn > 100)
        let overview = try #require(ConsoleDashboard.all.first { $0.uid == "arbiter-overview" })
        #expect(overview.query(#"rate(x{instance=~"$instance"}[$__rate_interval])"#, step: 30_000, range: 3_600_000, sampleInterval: 15_000)
            == #"rate(x{instance=~".*"}[60s])"#)
    }

    @Test func valuesAreWrittenInTheirPanelsUnit() {
        #expect(ConsoleChart.format(0.125, unit: "percentunit") == "12.50%")
        #expect(ConsoleChart.format(0.0042, unit: "s") == "4.2 ms")
        #expect(ConsoleChart.format(5_242_880, unit: "bytes") == "5.0 MiB")
        #expect(ConsoleChart.format(12_500, unit: "short") == "12.5k")
        #expect(ConsoleChart.format(3, unit: "ops") == "3 ops/s")
        #expect(ConsoleChart.format(.nan, unit: "short") == "NaN")
    }
}
