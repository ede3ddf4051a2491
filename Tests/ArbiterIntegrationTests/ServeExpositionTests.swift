import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// A real `arbiter serve` process scraped over HTTP in both formats, with promtool as the judge of
/// the text format.
@Suite(.serialized) struct ServeExpositionTests {
    @Test(.enabled(if: ExternalTool.promtool.shouldRun))
    func textFormatPassesPromtoolWithoutLint() async throws {
        try await ArbiterServer.with { server in
            // Touch every route so histograms, errors and unmatched routes are all in the exposition.
            for path in ["/health", "/livez", "/readyz", "/health/detailed", "/nope", "/metrics?format=bogus"] {
                _ = try await server.get(path)
            }
            let text = try await server.get("/metrics", headers: [("Accept", "text/plain;version=0.0.4")])
            #expect(text.status == 200)
            #expect(text.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let outcome = try await Promtool.checkMetrics(text.text)
            #expect(outcome.status == 0, "promtool: \(outcome.stderr)")
            #expect(outcome.stderr.isEmpty && outcome.stdout.isEmpty, "promtool said: \(outcome.stdout)\(outcome.stderr)")
            for name in [
                "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds",
                "process_max_fds", "process_start_time_seconds", "arbiter_build_info", "arbiter_http_requests_total",
                "arbiter_http_request_duration_seconds_bucket", "hb_requests_total",
            ] {
                #expect(text.text.contains("\n\(name)"), "missing \(name)")
            }
            #expect(text.text.contains(#"arbiter_http_requests_total{method="GET",route="unmatched",code="404"} 1"#))
            #expect(text.text.contains(#"arbiter_http_requests_total{method="GET",route="/metrics",code="400"} 1"#))
        }
    }

    @Test func openMetricsIsChosenForPrometheusAndEndsWithEOF() async throws {
        try await ArbiterServer.with { server in
            let prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            let response = try await server.get("/metrics", headers: [("Accept", prometheusAccept)])
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(response.text.hasSuffix("# EOF\n"))
            #expect(response.text.contains("# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n"))
            #expect(response.text.contains("\nprocess_cpu_seconds_total "))
            let plain = try await server.get("/metrics")
            #expect(plain.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(!plain.text.contains("# EOF"))
        }
    }

    @Test func gzipWhenAccepted() async throws {
        try await ArbiterServer.with { server in
            let response = try await server.get("/metrics", headers: [("Accept-Encoding", "gzip")])
            #expect(response.header("Content-Encoding") == "gzip")
            #expect(response.body.starts(with: [0x1F, 0x8B]))
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try Data(response.body).write(to: URL(fileURLWithPath: directory.file("metrics.gz")))
            let gunzip = try ChildProcess(executable: "/bin/gzip", arguments: ["-dc", directory.file("metrics.gz")], directory: directory.path, name: "gunzip")
            #expect(await gunzip.waitForExit(timeout: .seconds(10)) == 0)
            #expect(gunzip.stdout.hasPrefix("# HELP "))
            let identity = try await server.get("/metrics")
            #expect(identity.header("Content-Encoding") == nil)
        }
    }

    @Test func badFormatParameterIsAStableError() async throws {
        try await ArbiterServer.with { server in
            let response = try await server.get("/metrics?format=xml")
            #expect(response.status == 400)
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
            let error = try #require(object?["error"])
            #expect(error["code"] == "invalid_parameter")
            #expect(error["field"] == "format")
            #expect(error["message"]?.contains("text, openmetrics") == true)
            #expect(error["request_id"]?.isEmpty == false)
        }
    }

    @Test func healthEndpointsAnswer() async throws {
        try await ArbiterServer.with { server in
            let health = try await server.get("/health")
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok"}"#)
            #expect(try await server.get("/livez").status == 200)
            #expect(try await server.get("/readyz").status == 200)
            let detailed = try await server.get("/health/detailed")
            #expect(detailed.status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(detailed.body)) as? [String: Any]
            let components = try #require(object?["components"] as? [String: [String: String]])
            #expect(Set(components.keys) == ["http", "data_dir", "store", "metrics"])
            #expect(components["store"]?["detail"]?.hasSuffix("arbiter.db, schema version \(Migrations.sqlite.count)") == true)
            #expect(components["http"]?["detail"] == "listening on \(server.address)")
            #expect(components.values.allSatisfy { $0["status"] == "ok" })
            #expect(object?["status"] as? String == "ok")
        }
    }
}
