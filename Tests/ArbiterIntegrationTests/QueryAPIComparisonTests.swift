import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// The same data in Arbiter (sampling its own registry) and in a real Prometheus 2.42 (scraping
/// Arbiter's `/metrics`): the Prometheus API answers with the same shape and the same values.
@Suite struct QueryAPIComparisonTests {
    let api = JobsAPITests()

    static func json(_ response: HTTPProbe.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// A result made comparable: each element as "labels => values", sorted.
    static func normalized(_ object: [String: Any]) -> [String] {
        guard let data = object["data"] as? [String: Any] else { return [] }
        let result = data["result"]
        if data["resultType"] as? String == "scalar" || data["resultType"] as? String == "string" { return ["\(result ?? "")"] }
        return (result as? [[String: Any]] ?? []).map { element in
            let metric = (element["metric"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let values = element["values"] ?? element["value"] ?? ""
            return "\(metric) => \(values)"
        }.sorted()
    }

    /// `path?items`, with `+` escaped too (URLComponents leaves it, and a form decoder reads it as a space).
    static func target(_ path: String, _ items: [URLQueryItem]) -> String {
        var components = URLComponents(string: path)!
        components.queryItems = items
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string!
    }

    func get(_ server: ArbiterServer, _ path: String, _ items: [URLQueryItem]) async throws -> [String: Any] {
        Self.json(try await server.get(Self.target(path, items)))
    }

    func get(_ prometheus: PrometheusServer, _ path: String, _ items: [URLQueryItem]) async throws -> [String: Any] {
        Self.json(try await HTTPProbe.get(Self.target(prometheus.baseURL + path, items)))
    }

    @Test("instant and range queries, series, labels, label values, metadata and errors match Prometheus 2.42",
        .enabled(if: ExternalTool.prometheus.shouldRun))
    func sameAnswersAsPrometheus() async throws {
        let config = """
            metrics:
              public: true
            tsdb:
              sample_interval: 1s
            job_types:
              build: {}
              deploy: {}
            """
        try await ArbiterServer.with(config: config) { server in
            for _ in 0..<3 { _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"build","payload":1}"#) }
            for _ in 0..<2 { _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"deploy","payload":2}"#) }
            #expect(try await server.post("/api/v1/job-types/deploy/pause", json: "{}").status == 200)
            let prometheus = try await PrometheusServer.start(scrapeConfigs: """
                  - job_name: arbiter
                    static_configs: [{targets: ["\(server.address)"]}]
                    metric_relabel_configs:
                      - action: labeldrop
                        regex: "job|instance"
                """)
            defer { Task { await prometheus.stop() } }
            try await prometheus.waitForQuery("arbiter_job_type_paused == 1") { !$0.isEmpty }
            // The queries below reach 11 s back (a [5s] range at a start 4 s before a time 2 s ago), so
            // both must hold unchanging values that far back: Prometheus has scraped 12 times since the
            // pause (once a second at most, so over at least 11 s; a loaded machine only stretches
            // that), and Arbiter, which sampled before Prometheus started, as often.
            let scraped = "count_over_time(arbiter_job_type_paused{job_type=\"deploy\"}[1m]) >= 12"
            try await prometheus.waitForQuery(scraped, timeout: .seconds(90)) { !$0.isEmpty }
            try await Polling.until("Arbiter holds as many samples", timeout: .seconds(30), interval: .milliseconds(250)) {
                let ours = try await self.get(server, "/api/v1/query", [.init(name: "query", value: scraped)])
                return ((ours["data"] as? [String: Any])?["result"] as? [Any])?.isEmpty == false
            }
            let now = Date().timeIntervalSince1970.rounded(.down) - 2
            let time = String(Int(now))

            for query in [
                "arbiter_jobs_submitted_total", "sum by (job_type) (arbiter_jobs_submitted_total)", "arbiter_job_type_paused == 1",
                "count(arbiter_workers)", "scalar(sum(arbiter_jobs_submitted_total))", "rate(arbiter_jobs_submitted_total[5s])",
                "max_over_time(arbiter_jobs{state=\"queued\"}[5s])", "sum(arbiter_jobs_submitted_total) / on() group_left count(arbiter_job_type_paused)",
                "label_replace(arbiter_job_type_paused, \"kind\", \"$1\", \"job_type\", \"(.).*\")", "vector(1) + 1", "2 ^ 10",
            ] {
                let ours = try await self.get(server, "/api/v1/query", [.init(name: "query", value: query), .init(name: "time", value: time)])
                let theirs = try await self.get(prometheus, "/api/v1/query", [.init(name: "query", value: query), .init(name: "time", value: time)])
                #expect(ours["status"] as? String == "success", "\(query): \(ours)")
                #expect((ours["data"] as? [String: Any])?["resultType"] as? String == (theirs["data"] as? [String: Any])?["resultType"] as? String, "\(query): \(theirs)")
                #expect(Self.normalized(ours) == Self.normalized(theirs), "\(query)")
            }

            // A Grafana-style range query: start, end and step on whole seconds.
            for query in ["arbiter_jobs_submitted_total", "sum by (job_type) (rate(arbiter_jobs_submitted_total[5s]))"] {
                let range: [URLQueryItem] = [
                    .init(name: "query", value: query), .init(name: "start", value: String(Int(now) - 4)), .init(name: "end", value: time),
                    .init(name: "step", value: "1"),
                ]
                let ours = try await self.get(server, "/api/v1/query_range", range)
                let theirs = try await self.get(prometheus, "/api/v1/query_range", range)
                #expect((ours["data"] as? [String: Any])?["resultType"] as? String == "matrix")
                #expect(Self.normalized(ours) == Self.normalized(theirs), "\(query)")
                #expect(!Self.normalized(ours).isEmpty)
            }

            let match: [URLQueryItem] = [.init(name: "match[]", value: "arbiter_jobs_submitted_total"), .init(name: "start", value: String(Int(now) - 4)), .init(name: "end", value: time)]
            for path in ["/api/v1/series", "/api/v1/labels", "/api/v1/label/job_type/values"] {
                let ours = try await self.get(server, path, match)
                let theirs = try await self.get(prometheus, path, match)
                #expect(Self.sameSet(ours["data"], theirs["data"]), "\(path): \(ours) vs \(theirs)")
            }

            // Prometheus scrapes OpenMetrics, where a counter family is named without `_total`.
            let metadata = try await self.get(server, "/api/v1/metadata", [.init(name: "metric", value: "arbiter_jobs_submitted")])
            let theirMetadata = try await self.get(prometheus, "/api/v1/metadata", [.init(name: "metric", value: "arbiter_jobs_submitted")])
            let ourEntry = ((metadata["data"] as? [String: Any])?["arbiter_jobs_submitted"] as? [[String: String]])?.first
            let theirEntry = ((theirMetadata["data"] as? [String: Any])?["arbiter_jobs_submitted"] as? [[String: String]])?.first
            #expect(ourEntry != nil && ourEntry?["type"] == theirEntry?["type"] && ourEntry?["help"] == theirEntry?["help"], "\(metadata) vs \(theirMetadata)")

            let build = try await self.get(server, "/api/v1/status/buildinfo", [])
            let theirBuild = try await self.get(prometheus, "/api/v1/status/buildinfo", [])
            let ourKeys = Set(((build["data"] as? [String: Any]) ?? [:]).keys)
            #expect(Set(((theirBuild["data"] as? [String: Any]) ?? [:]).keys).isSubset(of: ourKeys))

            // Bad input: the same error type, and Arbiter names the field.
            for (path, items) in [
                ("/api/v1/query", [URLQueryItem(name: "query", value: "sum(")]),
                ("/api/v1/query", [URLQueryItem(name: "query", value: "up"), URLQueryItem(name: "time", value: "yesterday")]),
                ("/api/v1/query_range", [URLQueryItem(name: "query", value: "up"), URLQueryItem(name: "start", value: "10"), URLQueryItem(name: "end", value: "5"), URLQueryItem(name: "step", value: "1")]),
                ("/api/v1/query_range", [URLQueryItem(name: "query", value: "up"), URLQueryItem(name: "start", value: "1"), URLQueryItem(name: "end", value: "5"), URLQueryItem(name: "step", value: "0")]),
                ("/api/v1/series", []),
            ] {
                let ours = try await self.get(server, path, items)
                let theirs = try await self.get(prometheus, path, items)
                #expect(ours["status"] as? String == "error" && ours["errorType"] as? String == theirs["errorType"] as? String, "\(path) \(items): \(ours) vs \(theirs)")
                #expect(ours["field"] != nil && ours["code"] != nil, "\(ours)")
            }
            // POST with a form body, as Grafana sends it.
            let posted = try await server.send(
                "/api/v1/query", method: .POST, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array("query=sum%28arbiter_jobs_submitted_total%29&time=\(time)".utf8))
            #expect(Self.normalized(Self.json(posted)) == Self.normalized(
                try await self.get(prometheus, "/api/v1/query", [.init(name: "query", value: "sum(arbiter_jobs_submitted_total)"), .init(name: "time", value: time)])))
        }
    }

    /// Lists of strings or of label maps, compared as sets.
    static func sameSet(_ a: Any?, _ b: Any?) -> Bool {
        func items(_ value: Any?) -> [String] {
            (value as? [Any] ?? []).map { item in
                if let map = item as? [String: String] { return map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
                return "\(item)"
            }.sorted()
        }
        return items(a) == items(b)
    }

    @Test("a query over query.max_samples is refused with the limit named")
    func sampleLimit() async throws {
        try await ArbiterServer.with(config: "tsdb:\n  sample_interval: 1s\nquery:\n  max_samples: 5\n") { server in
            // A round has been sampled: the store holds more series than the limit lets a query read.
            try await Polling.until("the store holds more than 5 series", timeout: .seconds(30)) {
                let metrics = try await server.get("/metrics").text
                return Double(ExpositionSamples.value(in: metrics, "arbiter_tsdb_head_series") ?? "") ?? 0 > 5
            }
            let response = try await server.get("/api/v1/query?query=%7B__name__%3D~%22arbiter_.%2B%22%7D")
            let object = Self.json(response)
            #expect(response.status == 422 && object["errorType"] as? String == "execution", "\(object)")
            #expect((object["error"] as? String)?.contains("query.max_samples = 5") == true, "\(object)")
        }
    }
}
