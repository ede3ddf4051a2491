import ArbiterTesting
import Foundation
import Synchronization
import Testing

/// The Compose stack's topology from Debian's binaries on loopback, each reading its own file from
/// `compose/` with only addresses and paths replaced: two Arbiter replicas on PostgreSQL and Redis,
/// Prometheus scraping them (with the token secret) and receiving their remote write, Alertmanager
/// posting to their webhooks.
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
        .enabled(if: ExternalTool.prometheus.shouldRun && ExternalTool.alertmanager.shouldRun && ClusterFixture.canRun))
    func aFailingTypeIsPausedThroughPrometheusAndAlertmanager() async throws {
        let directory = try TemporaryDirectory(prefix: "compose-stack")
        defer { directory.remove() }
        let secrets = try ComposeFolder.secrets(in: directory)
        let replicas = ["127.0.0.1:\(try FreePort.next())", "127.0.0.1:\(try FreePort.next())"]
        let (prometheus, alertmanager) = (try FreePort.next(), try FreePort.next())
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"))
        defer { store.drop() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }

        let alertmanagerServer = try await AlertmanagerServer.start(
            config: try ComposeFolder.substituted(
                "alertmanager/alertmanager.yml",
                [("arbiter-1:8080", replicas[0]), ("arbiter-2:8080", replicas[1]), ("/run/secrets/arbiter_admin_token", secrets.tokenFile)]),
            port: alertmanager)
        let prometheusServer: PrometheusServer
        do {
            prometheusServer = try await PrometheusServer.start(
                config: try ComposeFolder.substituted(
                    "prometheus/prometheus.yml",
                    [
                        ("/etc/prometheus/alerts", ComposeFolder.alerts), ("alertmanager:9093", "127.0.0.1:\(alertmanager)"), ("arbiter-1:8080", replicas[0]),
                        ("arbiter-2:8080", replicas[1]),
                        ("prometheus:9090", "127.0.0.1:\(prometheus)"), ("/run/secrets/arbiter_admin_token", secrets.tokenFile),
                    ]),
                port: prometheus)
        } catch {
            await alertmanagerServer.stop()
            throw error
        }
        // Both replicas read the one arbiter.yml, each with its own address and data directory, and
        // its name from ARBITER_CLUSTER_REPLICA_ID as docker-compose.yml sets it.
        var servers: [ArbiterServer] = []
        do {
            for (index, address) in replicas.enumerated() {
                let data = directory.file("data-\(index + 1)")
                let config = try ComposeFolder.substituted(
                    "arbiter.yml",
                    [
                        ("0.0.0.0:8080", address), ("/var/lib/arbiter", data), ("postgres://arbiter@postgres:5432/arbiter?sslmode=disable", store.url ?? ""),
                        ("redis://redis:6379/0", redis.url), ("/run/secrets/arbiter_admin_token", secrets.tokenFile),
                        ("/run/secrets/arbiter_vault_key", secrets.vaultKeyFile), ("/etc/arbiter/alerts", ComposeFolder.alerts),
                        ("http://alertmanager:9093", "http://127.0.0.1:\(alertmanager)"), ("http://prometheus:9090", "http://127.0.0.1:\(prometheus)"),
                    ])
                servers.append(try await ArbiterServer.start(
                    environment: ["ARBITER_CLUSTER_REPLICA_ID": "arbiter-\(index + 1)"], config: config, dataDirectory: data, listen: address))
            }
            let stack = Stack(arbiter: servers[0], prometheus: prometheusServer, alertmanager: alertmanagerServer, token: secrets.token)
            do {
                try await self.run(stack, directory: directory)
            } catch {
                Issue.record(error)
            }
        } catch {
            Issue.record(error)
        }
        for server in servers { await server.stop() }
        await prometheusServer.stop()
        await alertmanagerServer.stop()
    }

    func run(_ stack: Stack, directory: TemporaryDirectory) async throws {
        let started = Date()
        var timeline: [(String, Date)] = [("stack up", started)]
        // Prometheus scrapes both replicas with the token secret, and receives the leader's remote
        // write, which carries every replica's series, each with its instance; the replicas see each other.
        try await stack.prometheus.waitForQuery(#"up{job="arbiter"} == 1"#, timeout: .seconds(60)) { $0.count == 2 }
        try await stack.prometheus.waitForQuery(#"arbiter_build_info{source="arbiter"}"#, timeout: .seconds(60)) { samples in
            Set(samples.compactMap { $0.labels["instance"] }) == ["arbiter-1", "arbiter-2"]
        }
        try await Polling.until("both replicas are listed", timeout: .seconds(30)) {
            let cluster = try JSONSerialization.jsonObject(with: Data(try await stack.arbiter.send("/api/v1/cluster", token: stack.token).body)) as? [String: Any]
            return (cluster?["replicas"] as? [Any])?.count == 2 && cluster?["leader"] is String
        }
        timeline.append(("two replicas up, scraped, remote write arrived", Date()))

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
