import ArbiterTesting
import Testing

/// A real Prometheus 2.42 scrapes a running Arbiter in each format and sees exactly what Arbiter counted.
@Suite struct PrometheusScrapeTests {
    @Test(.enabled(if: ExternalTool.prometheus.shouldRun))
    func prometheusScrapesBothFormatsAndSeesExactValues() async throws {
        try await ArbiterServer.with { arbiter in
            // Prometheus 2.42 always asks for OpenMetrics first; `format=text` pins the second job to 0.0.4.
            // /metrics needs a viewer token: Prometheus sends it as a bearer credential.
            let token = try await arbiter.createToken(name: "prometheus", role: "viewer")
            let scrapeConfigs = """
                  - job_name: arbiter-openmetrics
                    authorization: {credentials: "\(token)"}
                    static_configs: [{targets: ["\(arbiter.address)"]}]
                  - job_name: arbiter-text
                    params: {format: [text]}
                    authorization: {credentials: "\(token)"}
                    static_configs: [{targets: ["\(arbiter.address)"]}]
                """
            let prometheus = try await PrometheusServer.start(scrapeConfigs: scrapeConfigs)
            do {
                let requests = 7
                for _ in 0..<requests {
                    #expect(try await arbiter.get("/health").status == 200)
                }
                try await prometheus.waitForQuery("up") { samples in
                    samples.count == 2 && samples.allSatisfy { $0.value == "1" }
                }
                let selector = #"arbiter_http_requests_total{route="/health",code="200",method="GET"}"#
                let counted = try await prometheus.waitForQuery(selector) { samples in
                    samples.count == 2 && samples.allSatisfy { $0.value == "\(requests)" }
                }
                #expect(Set(counted.map { $0.labels["job"] ?? "" }) == ["arbiter-openmetrics", "arbiter-text"])
                // Both formats carry the same histogram, so Prometheus computes the same count from each.
                try await prometheus.waitForQuery(#"arbiter_http_request_duration_seconds_count{route="/health"}"#) { samples in
                    samples.count == 2 && samples.allSatisfy { $0.value == "\(requests)" }
                }
                let buildInfo = try await prometheus.query("arbiter_build_info")
                #expect(buildInfo.count == 2 && buildInfo.allSatisfy { $0.labels["version"] == "0.1.0" })
            } catch {
                Issue.record("prometheus log:\n\(prometheus.process.stderr.suffix(3000))")
                await prometheus.stop()
                throw error
            }
            await prometheus.stop()
        }
    }
}
