import ArbiterPromQL
import ArbiterTesting
import Foundation
import Testing

/// Every query of every shipped dashboard, run as Grafana would run it (variables substituted, a
/// range query) against Arbiter's own query API and against a real Prometheus 2.42 scraping the same
/// Arbiter, after a workload that moves every metric family: both answer, with data, naming the same
/// series. And every family Arbiter exports is on some panel.
@Suite(.serialized, .heavy) struct DashboardQueryTests {
    /// Families no dashboard shows, and why.
    static let notShown: [String: String] = [
        "hb_requests": "Hummingbird's own request count, the same as arbiter_http_requests_total",
        "http_server_request_duration_seconds": "Hummingbird's own request duration, the same as arbiter_http_request_duration_seconds",
        "http_server_active_requests": "Hummingbird's own in-flight requests, the same as arbiter_http_requests_in_flight",
        "hb_request_errors": "Hummingbird's own error count, the same as arbiter_http_requests_total{code=~\"5..\"}",
    ]

    /// Metrics whose queries may answer nothing after the workload, and why: their series appear only
    /// with a fault the workload does not cause.
    static let mayBeEmpty: [String: String] = [
        "arbiter_store_query_errors_total": "a statement the database refuses",
        "arbiter_metrics_series_dropped_total": "a family over metrics.series_limit",
        "arbiter_artifacts_refused_total": "an artifact upload refused (too large, or under a stale lease)",
        "arbiter_store_disk_free_bytes": "the SQLite store (the workload runs on PostgreSQL, whose disk is not beside Arbiter)",
    ]

    /// Families exported only with the SQLite store (the workload runs on PostgreSQL).
    static let sqliteOnly: Set<String> = ["arbiter_store_disk_free_bytes"]

    /// Labels that tell the two sources apart rather than the series: the target labels Prometheus
    /// adds when it scrapes, and the label Arbiter's remote write adds.
    static let sourceLabels: Set<String> = ["job", "instance", "source"]

    /// A range query's answer: its status and each series' labels without ``sourceLabels``.
    struct Answer {
        let status: String
        let series: Set<String>
        let error: String?

        init(_ response: HTTPProbe.Response) {
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            self.status = object["status"] as? String ?? "HTTP \(response.status)"
            self.error = object["error"] as? String
            let result = (object["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            self.series = Set(
                result.map { element in
                    var labels = (element["metric"] as? [String: String] ?? [:]).filter { !DashboardQueryTests.sourceLabels.contains($0.key) }
                    // Bucket bounds as numbers: Prometheus keeps them as the scrape wrote them (OpenMetrics
                    // writes `1.0`), Arbiter's own samples as the text format does (`1`).
                    if let bound = labels["le"], let number = Double(bound) { labels["le"] = "\(number)" }
                    return "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
                })
        }
    }

    @Test(
        "every panel answers from Arbiter and from Prometheus 2.42 with the same series, and every family is on a panel",
        .enabled(if: ExternalTool.prometheus.shouldRun && ExternalTool.alertmanager.shouldRun && PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun))
    func everyPanelAnswersFromBothSources() async throws {
        let directory = try TemporaryDirectory(prefix: "dashboards")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }
        let alertmanager = try await AlertmanagerServer.start()
        let port = try FreePort.next()
        // Prometheus evaluates the same rules, as a Prometheus next to Arbiter loading alerts/ would.
        let rules = try directory.write("dashboards.yml", DashboardWorkload.rules)
        let prometheus = try await PrometheusServer.start(
            scrapeConfigs: """
                  - job_name: arbiter
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """, ruleFiles: [rules])
        let config = DashboardWorkload.config(rules: rules, alertmanager: alertmanager.baseURL, receiver: prometheus.baseURL, redis: redis.url)
        let server: ArbiterServer
        do {
            server = try await ArbiterServer.start(config: config, listen: "127.0.0.1:\(port)", store: .postgres)
        } catch {
            await prometheus.stop()
            await alertmanager.stop()
            throw error
        }
        do {
            try await self.check(server: server, prometheus: prometheus, directory: directory)
        } catch {
            Issue.record(error)
        }
        await server.stop()
        await prometheus.stop()
        await alertmanager.stop()
    }

    func check(server: ArbiterServer, prometheus: PrometheusServer, directory: TemporaryDirectory) async throws {
        let start = Date().timeIntervalSince1970.rounded(.down) + 2
        // Prometheus has scraped the daemon before the work starts, so it sees every counter move.
        try await prometheus.waitForQuery(#"up{job="arbiter"} == 1"#, timeout: .seconds(60)) { !$0.isEmpty }
        try await DashboardWorkload(server: server, directory: directory).run()
        // Prometheus holds what Arbiter wrote to it and has scraped the end of the workload.
        try await prometheus.waitForQuery(#"arbiter_build_info{source="arbiter"}"#, timeout: .seconds(60)) { !$0.isEmpty }
        try await prometheus.waitForQuery(#"arbiter_worker_stops_total{worker_id="runner"}"#, timeout: .seconds(60)) { !$0.isEmpty }
        try await Polling.until("Arbiter notified its Alertmanager", timeout: .seconds(60)) {
            let metrics = try await server.get("/metrics").text
            return ExpositionSamples.parse(metrics).contains { $0.name == "arbiter_notifications_sent_total" && $0.value != "0" }
        }
        // Both hold 20 s of samples after the workload, so that every rate has two samples of its end.
        let settled = Date().timeIntervalSince1970 + 20
        let latest = "max(timestamp(arbiter_build_info))"
        try await prometheus.waitForQuery(latest, timeout: .seconds(90)) { Double($0.first?.value ?? "") ?? 0 >= settled }
        try await Polling.until("Arbiter sampled 20 s past the workload", timeout: .seconds(90)) {
            let answer = try await server.get(QueryAPIComparisonTests.target("/api/v1/query", [URLQueryItem(name: "query", value: latest)]))
            let value = ((QueryAPIComparisonTests.json(answer)["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first?["value"] as? [Any]
            return Double(value?.last as? String ?? "") ?? 0 >= settled
        }
        let end = settled.rounded(.down)
        // As Grafana would for this range with a one-second scrape interval, with room for a busy
        // machine that samples late.
        let builtIns = ["__rate_interval": "10s", "__interval": "2s", "__range": "\(Int(end - start))s"]

        var families: Set<String> = []
        for dashboard in try Dashboard.all() {
            var values = builtIns
            for variable in dashboard.variables where variable["includeAll"] as? Bool == true {
                // "All", as the dashboards open.
                values[variable["name"] as? String ?? ""] = variable["allValue"] as? String ?? ".*"
            }
            var ours = 0
            var theirs = 0
            for query in dashboard.queries {
                let name = "\(dashboard.file): \(query.panel) (\(query.refID))"
                let expr = Dashboard.substitute(query.expr, values)
                let names = Set(SelectorUse.all(in: try Parser.parse(expr)).compactMap(\.selector.name))
                families.formUnion(names)
                let items = [
                    URLQueryItem(name: "query", value: expr), URLQueryItem(name: "start", value: String(Int(start))),
                    URLQueryItem(name: "end", value: String(Int(end))), URLQueryItem(name: "step", value: "2"),
                ]
                let arbiter = Answer(try await server.get(QueryAPIComparisonTests.target("/api/v1/query_range", items)))
                let reference = Answer(try await HTTPProbe.get(QueryAPIComparisonTests.target(prometheus.baseURL + "/api/v1/query_range", items)))
                #expect(arbiter.status == "success" && reference.status == "success", "\(name): Arbiter \(arbiter.error ?? arbiter.status), Prometheus \(reference.error ?? reference.status)\n\(expr)")
                ours += arbiter.series.count
                theirs += reference.series.count
                if names.contains(where: { Self.mayBeEmpty[$0] != nil }) { continue }
                #expect(!arbiter.series.isEmpty && !reference.series.isEmpty, "\(name): no data (Arbiter \(arbiter.series.count) series, Prometheus \(reference.series.count))\n\(expr)")
                #expect(
                    arbiter.series == reference.series,
                    "\(name): only Arbiter \(arbiter.series.subtracting(reference.series).sorted()); only Prometheus \(reference.series.subtracting(arbiter.series).sorted())\n\(expr)")
            }
            print("\(dashboard.file): \(dashboard.dataPanels.count) panels, \(dashboard.queries.count) queries checked; series returned: Arbiter \(ours), Prometheus \(theirs)")
        }

        let metadata = QueryAPIComparisonTests.json(try await server.get("/api/v1/metadata"))["data"] as? [String: Any] ?? [:]
        let exported = Set(metadata.keys)
        #expect(exported.count >= 50, "metadata: \(exported.count) families")
        let shown = Set(families.map { Self.family(of: $0, in: exported) })
        let unknown = shown.subtracting(exported).subtracting(["ALERTS"]).subtracting(Self.sqliteOnly)
        #expect(unknown.isEmpty, "dashboards name metrics Arbiter does not export: \(unknown.sorted())")
        let missing = exported.subtracting(shown).subtracting(Self.notShown.keys)
        #expect(missing.isEmpty, "families on no dashboard: \(missing.sorted())")
        #expect(Set(Self.notShown.keys).isSubset(of: exported), "exceptions for families Arbiter does not export: \(Set(Self.notShown.keys).subtracting(exported).sorted())")
    }

    /// The family a series name belongs to, as the metadata API names it: a counter's without `_total`,
    /// a histogram's `_bucket`, `_sum` and `_count` series its own name's.
    static func family(of name: String, in families: Set<String>) -> String {
        for suffix in ["_total", "_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if families.contains(base) { return base }
        }
        return name
    }
}
