import ArbiterTesting
import Foundation
import Synchronization
import Testing

/// The Compose stack's topology from Debian's binaries on loopback, each reading its own file from
/// `compose/` with only addresses and paths replaced: Arbiter on PostgreSQL, Prometheus scraping it
/// (with the token secret) and receiving its remote write, Alertmanager posting to Arbiter's webhook.
/// A job type whose every attempt fails makes Prometheus fire the shipped `ArbiterJobFailureRatioHigh`,
/// Alertmanager delivers it, and Arbiter's breaker for the type opens with Alertmanager as a cause.
/// Prints the timeline.
@Suite(.serialized, .heavy) struct ComposeStackTests {
    struct Stack {
        let arbiter: ArbiterServer
        let prometheus: PrometheusServer
        let alertmanager: AlertmanagerServer
        let token: String
    }

    @Test(
        "the stack's own files, on loopback: a failing type fires the shipped alert in Prometheus, Alertmanager delivers it, the breaker opens",
        .enabled(if: ExternalTool.prometheus.shouldRun && ExternalTool.alertmanager.shouldRun && PostgresServer.shouldRun))
    func aFailingTypeIsPausedThroughPrometheusAndAlertmanager() async throws {
        let directory = try TemporaryDirectory(prefix: "compose-stack")
        defer { directory.remove() }
        let secrets = try ComposeFolder.secrets(in: directory)
        let (arbiter, prometheus, alertmanager) = ("127.0.0.1:\(try FreePort.next())", try FreePort.next(), try FreePort.next())
        let data = directory.file("data")
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: data)
        defer { store.drop() }

        let alertmanagerServer = try await AlertmanagerServer.start(
            config: try ComposeFolder.substituted(
                "alertmanager/alertmanager.yml", [("arbiter:8080", arbiter), ("/run/secrets/arbiter_admin_token", secrets.tokenFile)]),
            port: alertmanager)
        let prometheusServer: PrometheusServer
        do {
            prometheusServer = try await PrometheusServer.start(
                config: try ComposeFolder.substituted(
                    "prometheus/prometheus.yml",
                    [
                        ("/etc/prometheus/alerts", ComposeFolder.alerts), ("alertmanager:9093", "127.0.0.1:\(alertmanager)"), ("arbiter:8080", arbiter),
                        ("prometheus:9090", "127.0.0.1:\(prometheus)"), ("/run/secrets/arbiter_admin_token", secrets.tokenFile),
                    ]),
                port: prometheus)
        } catch {
            await alertmanagerServer.stop()
            throw error
        }
        let config = try ComposeFolder.substituted(
            "arbiter.yml",
            [
                ("0.0.0.0:8080", arbiter), ("/var/lib/arbiter", data), ("postgres://arbiter@postgres:5432/arbiter?sslmode=disable", store.url ?? ""),
                ("/run/secrets/arbiter_admin_token", secrets.tokenFile), ("/run/secrets/arbiter_vault_key", secrets.vaultKeyFile),
                ("/etc/arbiter/alerts", ComposeFolder.alerts), ("http://alertmanager:9093", "http://127.0.0.1:\(alertmanager)"),
                ("http://prometheus:9090", "http://127.0.0.1:\(prometheus)"),
            ])
        do {
            let arbiterServer = try await ArbiterServer.start(config: config, dataDirectory: data, listen: arbiter, store: .postgres)
            let stack = Stack(arbiter: arbiterServer, prometheus: prometheusServer, alertmanager: alertmanagerServer, token: secrets.token)
            do {
                try await self.run(stack, directory: directory)
            } catch {
                Issue.record(error)
            }
            await arbiterServer.stop()
        } catch {
            Issue.record(error)
        }
        await prometheusServer.stop()
        await alertmanagerServer.stop()
    }

    func run(_ stack: Stack, directory: TemporaryDirectory) async throws {
        let started = Date()
        var timeline: [(String, Date)] = [("stack up", started)]
        // Prometheus scrapes Arbiter with the token secret, and receives its remote write.
        try await stack.prometheus.waitForQuery(#"up{job="arbiter"} == 1"#, timeout: .seconds(60)) { !$0.isEmpty }
        try await stack.prometheus.waitForQuery(#"arbiter_build_info{source="arbiter"}"#, timeout: .seconds(60)) { !$0.isEmpty }
        timeline.append(("scraped, remote write arrived", Date()))

        let worker = try WorkerProcess(server: stack.arbiter.baseURL, token: stack.token, id: "builder", exec: ["build": "exit 1"], concurrency: 2)
        let submitting = Mutex(true)
        let submitter = Task {
            while submitting.withLock({ $0 }) {
                _ = try? await stack.arbiter.post("/api/v1/jobs", json: #"{"type":"build","payload":{},"max_attempts":1}"#, token: stack.token)
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer {
            submitting.withLock { $0 = false }
            submitter.cancel()
        }
        timeline.append(("build jobs start failing", Date()))

        let alert = #"ALERTS{alertname="ArbiterJobFailureRatioHigh", alertstate="firing", job_type="build"}"#
        try await stack.prometheus.waitForQuery(alert, timeout: .seconds(240)) { !$0.isEmpty }
        timeline.append(("Prometheus fires ArbiterJobFailureRatioHigh", Date()))
        try await stack.alertmanager.waitForAlerts(timeout: .seconds(120)) { alerts in
            alerts.contains { alert in
                let labels = alert["labels"] as? [String: String] ?? [:]
                return labels["alertname"] == "ArbiterJobFailureRatioHigh" && labels["source"] == "prometheus"
            }
        }
        timeline.append(("Alertmanager holds it (source=prometheus)", Date()))
        var last: [[String: Any]] = []
        do {
            try await Polling.until("Arbiter pauses build with Alertmanager among the causes", timeout: .seconds(120), interval: .milliseconds(250)) {
                let response = try await stack.arbiter.send("/api/v1/actions", token: stack.token)
                last = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["actions"] as? [[String: Any]] ?? []
                return last.contains { action in
                    let causes = action["causes"] as? [[String: Any]] ?? []
                    return action["action"] as? String == "pause" && "\(action)".contains("build")
                        && causes.contains { cause in
                            // Prometheus's alert, delivered by Alertmanager (Arbiter's own, sent there too, says source=arbiter).
                            cause["driver"] as? String == "alertmanager" && (cause["labels"] as? [String: String])?["source"] == "prometheus"
                        }
                }
            }
        } catch {
            let audit = try await stack.arbiter.send("/api/v1/audit?limit=200", token: stack.token).text
            let log = stack.arbiter.process.stderr.split(separator: "\n").filter { $0.contains("steer") || $0.contains("webhook") || $0.contains("alertmanager") }
            throw TestingError("\(error); actions: \(last)\naudit: \(audit)\nlog: \(log.joined(separator: "\n"))\nalertmanager: \(try await stack.alertmanager.alerts())")
        }
        timeline.append(("Arbiter's breaker for build is open, Prometheus's alert through Alertmanager a cause", Date()))
        let breakers = try await stack.arbiter.send("/metrics", token: stack.token).text
        #expect(ExpositionSamples.value(in: breakers, "arbiter_circuit_state", ["job_type": "build", "state": "open"]) == "1")
        await worker.stop()

        print("compose stack timeline:")
        for (event, at) in timeline {
            print(String(format: "  %+8.1f s  %@", at.timeIntervalSince(started), event))
        }
    }
}
