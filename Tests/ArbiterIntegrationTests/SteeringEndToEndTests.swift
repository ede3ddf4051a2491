import ArbiterTesting
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// The circuit breaker end to end, with a real worker process whose handler starts failing: the
/// failure-ratio rule pauses the type, nothing of it is dispatched while paused, and when the
/// handler has recovered and the alert resolves exactly `arbiter_probe` jobs go through before the
/// breaker closes and the backlog drains. Once driven by Arbiter's own rules, once by a real
/// Prometheus 2.42 evaluating the same rule file and a real Alertmanager 0.25 posting to the
/// webhook. Each on SQLite and on PostgreSQL; each run prints its timeline.
@Suite(.serialized, .heavy) struct SteeringEndToEndTests {
    static let rule = """
        groups:
          - name: steering
            interval: 1s
            rules:
              - alert: BuildFailing
                expr: |
                  sum by (job_type) (rate(arbiter_job_attempts_failed_total{job_type="build"}[5s]))
                    / sum by (job_type) (rate(arbiter_job_attempts_total{job_type="build"}[5s])) > 0.5
                for: 3s
                labels:
                  severity: warning
                  arbiter_action: pause
                  arbiter_probe: "3"
        """

    static let probes = 3

    @Test("Arbiter's own rule pauses a failing type, probes it half-open and closes the breaker", arguments: StoreKind.available)
    func internalRules(store: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "steering")
        defer { directory.remove() }
        let rules = try directory.write("steering.yml", Self.rule)
        try await ArbiterServer.with(config: SecondScaleConfig.yaml(ruleFiles: [rules]), store: store) { server in
            let timeline = try await Scenario(server: server, directory: directory).run { scenario in
                let firing = try await AlertingEndToEndTests.waitForState(server, "BuildFailing", "firing")
                let activeAt = try #require(Scenario.parse(firing["activeAt"] as? String))
                return activeAt + 3.0
            }
            // The action takes effect in the evaluation that finds `for` elapsed: a second or two later
            // on a loaded machine, never the 3 s of a second `for`.
            let lag = try #require(timeline.paused) - (try #require(timeline.firing))
            #expect(lag < 3.0, "paused \(lag) s after the alert's for elapsed")
        }
    }

    @Test(
        "Prometheus 2.42 and Alertmanager 0.25 pause and release the type through the webhook",
        .enabled(if: ExternalTool.prometheus.shouldRun && ExternalTool.alertmanager.shouldRun), arguments: StoreKind.available)
    func throughAlertmanager(store: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "steering")
        defer { directory.remove() }
        let rules = try directory.write("steering.yml", Self.rule)
        // Arbiter loads no rules here: Prometheus evaluates them from Arbiter's /metrics.
        try await ArbiterServer.with(config: SecondScaleConfig.yaml(extra: "metrics:\n  public: true"), store: store) { server in
            let token = try await server.createToken(name: "alertmanager", role: "operator")
            let alertmanager = try await AlertmanagerServer.start(webhook: ("\(server.baseURL)/api/v1/alertmanager/webhook", token))
            defer { Task { await alertmanager.stop() } }
            let prometheus = try await PrometheusServer.start(
                scrapeConfigs: """
                      - job_name: arbiter
                        static_configs: [{targets: ["\(server.address)"]}]
                    """,
                ruleFiles: [rules], alertmanagers: [String(alertmanager.baseURL.dropFirst("http://".count))])
            defer { Task { await prometheus.stop() } }
            let timeline = try await Scenario(server: server, directory: directory).run { _ in
                try await Polling.until("Prometheus fires BuildFailing", timeout: .seconds(60), interval: .milliseconds(200)) {
                    !(try await prometheus.query("ALERTS{alertname=\"BuildFailing\",alertstate=\"firing\"}")).isEmpty
                }
                return Date().timeIntervalSince1970
            }
            let causes = timeline.causes
            #expect(causes.contains("alertmanager"), "\(causes)")
        }
    }
}

/// One run of the scenario against a server: a steady stream of build jobs, a handler that fails
/// while a flag file exists, and the breaker's course read back from the audit log.
struct Scenario {
    let server: ArbiterServer
    let directory: TemporaryDirectory

    struct Timeline {
        var store = StoreKind.sqlite
        var fault = 0.0
        var firing: Double?
        var paused: Double?
        var recovered: Double?
        var halfOpen: Double?
        var closed: Double?
        var drained: Double?
        var causes: [String] = []
    }

    /// Runs the scenario; `firing` waits for the alert to fire and returns when it did.
    func run(firing: (Scenario) async throws -> Double) async throws -> Timeline {
        let flag = self.directory.file("failing")
        let worker = try WorkerProcess(
            server: self.server, id: "builder", exec: ["build": "sleep 0.05; test ! -e \(flag)"], concurrency: 2)
        defer { Task { await worker.stop() } }
        let submitting = Mutex(true)
        let submitter = Task {
            while submitting.withLock({ $0 }) {
                _ = try? await self.server.post("/api/v1/jobs", json: #"{"type":"build","payload":{},"max_attempts":1}"#)
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        var timeline = Timeline(store: self.server.store.kind)
        do {
            // A healthy stretch first: the worker is connected and jobs succeed.
            try await Polling.until("20 build jobs succeed", timeout: .seconds(60), interval: .milliseconds(200)) {
                try await JobCounts.fetch(self.server, type: "build")["succeeded"] ?? 0 >= 20
            }
            try "".write(toFile: flag, atomically: true, encoding: .utf8)
            timeline.fault = Date().timeIntervalSince1970
            timeline.firing = try await firing(self)
            try await self.waitForBreaker("open")
            // The handler recovers while the type is paused; the backlog keeps growing.
            try await Task.sleep(for: .seconds(1))
            try FileManager.default.removeItem(atPath: flag)
            timeline.recovered = Date().timeIntervalSince1970
            try await self.waitForBreaker("closed", timeout: .seconds(90))
            submitting.withLock { $0 = false }
            await submitter.value
            try await Polling.until("the backlog drains", timeout: .seconds(60), interval: .milliseconds(200)) {
                let types = try await self.json("/api/v1/job-types")["job_types"] as? [[String: Any]] ?? []
                let counts = types.first { $0["type"] as? String == "build" }?["counts"] as? [String: Int] ?? [:]
                return counts["queued"] == 0 && counts["running"] == 0
            }
            timeline.drained = Date().timeIntervalSince1970
        } catch {
            submitting.withLock { $0 = false }
            submitter.cancel()
            throw error
        }

        // The audit log has the breaker's course and every lease, stamped by the server's clock.
        let steering = try await self.audit("subject_type=job_type") + (try await self.audit("subject_type=steering_action"))
        let activated = steering.first { $0.action == "steering.activated" && $0.subject == "pause job_type=build" }
        timeline.paused = activated?.at
        timeline.causes = activated.map { [$0.details["cause"] ?? ""] } ?? []
        timeline.halfOpen = steering.first { $0.action == "steering.half_opened" && $0.subject == "build" }?.at
        timeline.closed = steering.first { $0.action == "steering.closed" && $0.subject == "build" }?.at
        let leases = try await self.audit("action=job.leased").map(\.at)
        Self.print(timeline)

        let paused = try #require(timeline.paused, "no pause was audited: \(steering)")
        let halfOpen = try #require(timeline.halfOpen, "the breaker never half-opened: \(steering)")
        let closed = try #require(timeline.closed, "the breaker never closed: \(steering)")
        #expect(paused < halfOpen && halfOpen < closed)
        #expect(try #require(timeline.recovered) < halfOpen, "the alert resolved before the handler recovered")
        #expect(leases.filter { $0 > paused && $0 < halfOpen }.isEmpty, "jobs were dispatched while paused")
        // Stamps are whole milliseconds: a lease woken by the closing can share its millisecond.
        let probes = leases.filter { $0 >= halfOpen && $0 < closed }
        #expect(probes.count == SteeringEndToEndTests.probes, "\(probes.count) jobs went through half-open")
        // How big the backlog grew depends on the machine; that it drained is checked above.
        #expect(!leases.filter { $0 >= closed }.isEmpty, "nothing was dispatched after the breaker closed")
        // A reopened breaker is not part of this course.
        #expect(!steering.contains { $0.action == "steering.reopened" })
        // The metrics tell the same course.
        let metrics = try await self.server.get("/metrics").text
        #expect(ExpositionSamples.value(in: metrics, "arbiter_circuit_state", ["job_type": "build", "state": "closed"]) == "1")
        #expect(ExpositionSamples.value(in: metrics, "arbiter_circuit_state", ["job_type": "build", "state": "open"]) == "0")
        for transition in ["opened", "half_opened", "closed"] {
            #expect(ExpositionSamples.value(in: metrics, "arbiter_scheduler_actions_total", ["action": "pause", "transition": transition]) == "1", "\(transition)")
        }
        return timeline
    }

    func json(_ path: String) async throws -> [String: Any] {
        let response = try await self.server.get(path)
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw TestingError("GET \(path): \(response.status) \(response.text)")
        }
        return object
    }

    func waitForBreaker(_ state: String, timeout: Duration = .seconds(60)) async throws {
        try await Polling.until("the build breaker is \(state)", timeout: timeout, interval: .milliseconds(100)) {
            let breakers = try await self.json("/api/v1/actions")["breakers"] as? [[String: Any]] ?? []
            return breakers.contains { $0["job_type"] as? String == "build" && $0["state"] as? String == state }
        }
    }

    struct Entry {
        var at: Double
        var action: String
        var subject: String
        var details: [String: String]
    }

    /// Every audit entry matching `query`, oldest first.
    func audit(_ query: String) async throws -> [Entry] {
        var entries: [Entry] = []
        var cursor: String?
        repeat {
            let page = try await self.json("/api/v1/audit?\(query)&limit=1000" + (cursor.map { "&cursor=\($0)" } ?? ""))
            for entry in page["entries"] as? [[String: Any]] ?? [] {
                entries.append(Entry(
                    at: Self.parse(entry["at"] as? String) ?? 0, action: entry["action"] as? String ?? "",
                    subject: entry["subject_id"] as? String ?? "", details: entry["details"] as? [String: String] ?? [:]))
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return entries
    }

    static func parse(_ text: String?) -> Double? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return (formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text))?.timeIntervalSince1970
    }

    static func print(_ timeline: Timeline) {
        let events: [(String, Double?)] = [
            ("fault (handler fails)", timeline.fault), ("alert firing", timeline.firing), ("paused (breaker open)", timeline.paused),
            ("handler recovered", timeline.recovered), ("resolved, half-open", timeline.halfOpen), ("closed", timeline.closed),
            ("backlog drained", timeline.drained),
        ]
        var lines = ["steering timeline on \(timeline.store) (\(timeline.causes.joined()))"]
        for (name, time) in events {
            let stamp = time.map { Date(timeIntervalSince1970: $0).formatted(.iso8601.time(includingFractionalSeconds: true)) } ?? "-"
            let offset = time.map { String(format: "%+8.3f s", $0 - timeline.fault) } ?? ""
            lines.append("  \(stamp)  \(offset)  \(name)")
        }
        Swift.print(lines.joined(separator: "\n"))
    }
}
