import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// A running Arbiter evaluating rules against its own metrics: alerts go pending, fire, reach a
/// real Alertmanager 0.25 with their labels and annotations, and resolve there.
@Suite struct AlertingEndToEndTests {
    let api = JobsAPITests()

    /// Arbiter's `/api/v1/alerts` entries for one alert name.
    static func alerts(_ server: ArbiterServer, named name: String) async throws -> [[String: Any]] {
        let response = try await server.get("/api/v1/alerts")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let alerts = (object?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        return alerts.filter { ($0["labels"] as? [String: String])?["alertname"] == name }
    }

    static func waitForState(_ server: ArbiterServer, _ name: String, _ state: String, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var last: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            last = try await Self.alerts(server, named: name)
            if let match = last.first(where: { $0["state"] as? String == state }) { return match }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestingError("\(name) never became \(state); last: \(last)")
    }

    /// The value of a one-element instant query on Arbiter's own store, now.
    static func sampled(_ server: ArbiterServer, _ promql: String) async throws -> Double? {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        let response = try await server.get("/api/v1/query?query=\(encoded)")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let result = (object?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return ((result.first?["value"] as? [Any])?.last as? String).flatMap { Double($0) }
    }

    static func config(alertmanager: String?, extra: String = "") -> String {
        """
        tsdb:
          sample_interval: 1s
        rules:
          evaluation_interval: 1s
        alerting:
          resend_delay: 1s
        \(alertmanager.map { "  alertmanagers: [\($0)]" } ?? "")
        job_types:
          build: {}
        \(extra)
        """
    }

    @Test("a failure burst fires the shipped failure-ratio alert: pending, then firing, then at Alertmanager",
        .enabled(if: ExternalTool.alertmanager.shouldRun))
    func failureBurstReachesAlertmanager() async throws {
        let alertmanager = try await AlertmanagerServer.start()
        defer { Task { await alertmanager.stop() } }
        try await ArbiterServer.with(config: Self.config(alertmanager: alertmanager.baseURL)) { server in
            _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w","capabilities":["build"],"concurrency":20}"#)
            // Three rounds of failing attempts, each sampled before the next, so rate() sees the counters climb.
            var failed = 0
            for round in 0..<3 {
                for _ in 0..<3 { _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"build","payload":{"round":\#(round)},"max_attempts":1}"#) }
                let (_, leased) = try await self.api.post(server, "/api/v1/workers/w/lease?wait=2s", "")
                for job in leased["jobs"] as? [[String: Any]] ?? [] {
                    let id = job["id"] as? String ?? ""
                    let token = (job["lease"] as? [String: Any])?["token"] as? String ?? ""
                    let (status, _) = try await self.api.post(server, "/api/v1/jobs/\(id)/fail", #"{"token":"\#(token)","error":"compiler crashed"}"#)
                    if status == 200 { failed += 1 }
                }
                try await Polling.until("the store samples \(failed) failed attempts", timeout: .seconds(30), interval: .milliseconds(200)) {
                    try await Self.sampled(server, #"sum(arbiter_job_attempts_failed_total{job_type="build"})"#) ?? 0 >= Double(failed)
                }
            }
            let pending = try await Self.waitForState(server, "ArbiterJobFailureRatioHigh", "pending")
            #expect((pending["labels"] as? [String: String])?["job_type"] == "build")
            let firing = try await Self.waitForState(server, "ArbiterJobFailureRatioHigh", "firing")
            // Every attempt failed; extrapolation at the window's edges can put the ratio a little off 100%.
            let description = (firing["annotations"] as? [String: String])?["description"] ?? ""
            #expect(description.hasSuffix("% of build attempts failed over the last minute; dispatch of the type is paused until probe jobs succeed."), "\(description)")

            let received = try await alertmanager.waitForAlerts { alerts in
                alerts.contains { ($0["labels"] as? [String: String])?["alertname"] == "ArbiterJobFailureRatioHigh" }
            }
            let alert = try #require(received.first { ($0["labels"] as? [String: String])?["alertname"] == "ArbiterJobFailureRatioHigh" })
            #expect(alert["labels"] as? [String: String] == [
                "alertname": "ArbiterJobFailureRatioHigh", "job_type": "build", "severity": "warning", "arbiter_action": "pause", "arbiter_probe": "3",
            ])
            let annotations = alert["annotations"] as? [String: String] ?? [:]
            #expect(annotations["summary"] == "More than half the attempts of build jobs fail")
            #expect(annotations["description"]?.contains("% of build attempts failed over the last minute;") == true, "\(annotations)")
            #expect((alert["generatorURL"] as? String)?.contains("/graph?g0.expr=") == true)
            let metrics = try await server.get("/metrics").text
            #expect((Double(ExpositionSamples.value(in: metrics, "arbiter_notifications_sent_total", ["alertmanager": alertmanager.baseURL]) ?? "0") ?? 0) >= 1)
        }
    }

    static let pausedRule = """
        groups:
          - name: operators
            rules:
              - alert: TypePaused
                expr: arbiter_job_type_paused == 1
                for: 1s
                labels:
                  severity: page
                annotations:
                  summary: "{{ $labels.job_type }} is paused"
        """

    @Test("an alert resolves at Alertmanager; reloads by API and SIGHUP keep the rules in force when the file is broken",
        .enabled(if: ExternalTool.alertmanager.shouldRun))
    func resolveAndReload() async throws {
        let alertmanager = try await AlertmanagerServer.start()
        defer { Task { await alertmanager.stop() } }
        let rules = try TemporaryDirectory(prefix: "rules")
        defer { rules.remove() }
        let file = try rules.write("operators.yml", Self.pausedRule)
        let config = Self.config(alertmanager: alertmanager.baseURL, extra: "rule_files: [\(file)]")
            .replacingOccurrences(of: "  evaluation_interval: 1s", with: "  evaluation_interval: 1s\n  external_labels: [cluster=eu-1]")
        try await ArbiterServer.with(config: config) { server in
            #expect(try await server.post("/api/v1/job-types/build/pause", json: "{}").status == 200)
            let firing = try await Self.waitForState(server, "TypePaused", "firing")
            #expect((firing["annotations"] as? [String: String])?["summary"] == "build is paused")
            let received = try await alertmanager.waitForAlerts { alerts in
                alerts.contains { ($0["annotations"] as? [String: String])?["summary"] == "build is paused" }
            }
            // External labels travel with the alert, as Prometheus's notifier adds them.
            #expect(received.contains { ($0["labels"] as? [String: String])?["cluster"] == "eu-1" }, "\(received)")
            #expect(try await server.post("/api/v1/job-types/build/resume", json: "{}").status == 200)
            try await alertmanager.waitForAlerts { alerts in
                !alerts.contains { ($0["labels"] as? [String: String])?["alertname"] == "TypePaused" }
            }

            // A broken file: the reload is refused with the file and line, the rules in force stay.
            try (Self.pausedRule + "\n      - alert: Broken\n        expr: sum(\n").write(toFile: file, atomically: true, encoding: .utf8)
            let refused = try await server.send("/-/reload", method: .POST)
            #expect(refused.status == 422 && refused.text.contains("invalid_rules") && refused.text.contains("operators.yml:"), "\(refused.text)")
            #expect(try await self.ruleNames(server).contains("TypePaused"))

            // A good file, by the API and then by SIGHUP.
            try (Self.pausedRule + "\n      - record: build:paused\n        expr: arbiter_job_type_paused{job_type=\"build\"}\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            #expect(try await server.send("/-/reload", method: .POST).status == 200)
            #expect(try await self.ruleNames(server).contains("build:paused"))
            try (Self.pausedRule + "\n      - record: build:paused:sighup\n        expr: arbiter_job_type_paused{job_type=\"build\"}\n")
                .write(toFile: file, atomically: true, encoding: .utf8)
            server.process.signal(SIGHUP)
            try await Polling.until("the SIGHUP reload", timeout: .seconds(10)) { try await self.ruleNames(server).contains("build:paused:sighup") }
            let audit = try await server.get("/api/v1/audit?action=rules.reloaded").text
            #expect(audit.contains("rules.reloaded"))
        }
    }

    func ruleNames(_ server: ArbiterServer) async throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/rules").body)) as? [String: Any]
        let groups = (object?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        return groups.flatMap { ($0["rules"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
    }

    @Test("a pending alert resumes its for after a restart instead of starting over", arguments: StoreKind.available)
    func pendingResumesAfterRestart(store: StoreKind) async throws {
        let rules = try TemporaryDirectory(prefix: "rules")
        defer { rules.remove() }
        let file = try rules.write("operators.yml", Self.pausedRule.replacingOccurrences(of: "for: 1s", with: "for: 1h"))
        let config = Self.config(alertmanager: nil, extra: "rule_files: [\(file)]")
        let data = try TemporaryDirectory(prefix: "arbiter-data")
        defer { data.remove() }
        var firstActiveAt = ""
        try await ArbiterServer.with(config: config, dataDirectory: data.file("data"), store: store) { server in
            #expect(try await server.post("/api/v1/job-types/build/pause", json: "{}").status == 200)
            firstActiveAt = try await Self.waitForState(server, "TypePaused", "pending")["activeAt"] as? String ?? ""
            // Pending for at least five seconds before the stop.
            try await Task.sleep(for: .seconds(5))
        }
        try await ArbiterServer.with(config: config, dataDirectory: data.file("data"), store: store) { server in
            let readyAt = Date()
            let pending = try await Self.waitForState(server, "TypePaused", "pending", timeout: .seconds(20))
            let activeAt = try #require(ISO8601DateFormatter.withMilliseconds.date(from: pending["activeAt"] as? String ?? ""))
            let before = try #require(ISO8601DateFormatter.withMilliseconds.date(from: firstActiveAt))
            #expect(server.logLines.contains { $0["msg"] == "alert state restored" && $0["alerts"] == "1" })
            // Resumed: the start moved by the downtime only, so the five pending seconds before the
            // stop still count; starting over would put it at this run's first evaluation.
            #expect(activeAt >= before && activeAt <= readyAt.addingTimeInterval(-3), "activeAt \(activeAt), first \(before), ready \(readyAt)")
        }
    }

    @Test(
        "a firing alert with arbiter_action: shed refuses new jobs of its type with 503 and Retry-After, then lets them in again",
        arguments: StoreKind.available)
    func shedRefusesSubmissions(store: StoreKind) async throws {
        let rules = try TemporaryDirectory(prefix: "rules")
        defer { rules.remove() }
        let file = try rules.write("shed.yml", """
            groups:
              - name: steering
                rules:
                  - alert: BuildPausedShed
                    expr: arbiter_job_type_paused{job_type="build"} == 1
                    labels:
                      arbiter_action: shed
            """)
        let config = Self.config(alertmanager: nil, extra: "  deploy: {}\nrule_files: [\(file)]")
        try await ArbiterServer.with(config: config, store: store) { server in
            #expect(try await server.post("/api/v1/job-types/build/pause", json: "{}").status == 200)
            _ = try await Self.waitForState(server, "BuildPausedShed", "firing")
            var refused = try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":1}"#)
            try await Polling.until("the shed to take hold", timeout: .seconds(10)) {
                refused = try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":1}"#)
                return refused.status == 503
            }
            #expect(refused.text.contains(#""code":"shed""#) && refused.text.contains("BuildPausedShed"), "\(refused.text)")
            #expect(refused.header("Retry-After") == "30")
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"deploy","payload":1}"#).status == 201, "other types are not shed")
            let batch = try await server.post("/api/v1/jobs/batch", json: #"{"jobs":[{"type":"deploy","payload":1},{"type":"build","payload":2}]}"#)
            #expect(batch.status == 503 && batch.text.contains("jobs[1].type"), "\(batch.text)")
            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_scheduler_action_active", ["action": "shed", "target": "job_type=build"]) == "1")
            #expect(try await server.post("/api/v1/job-types/build/resume", json: "{}").status == 200)
            try await Polling.until("the shed to be released", timeout: .seconds(10)) {
                try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":3}"#).status == 201
            }
        }
    }
}

extension ISO8601DateFormatter {
    static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
