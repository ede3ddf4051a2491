import ArbiterTesting
import Foundation
import Testing
import Yams

/// The Compose stack's files, checked by the tools that own their formats (no container runs here):
/// `docker-compose config`, `promtool check config`, `amtool check-config`, `arbiter config check`.
@Suite struct ComposeCheckTests {
    static let services: Set<String> = ["arbiter-1", "arbiter-2", "postgres", "redis", "prometheus", "alertmanager", "grafana"]

    @Test("docker-compose accepts the file: two Arbiter replicas and five other services, each with a health check, state in named volumes, ports on loopback",
        .enabled(if: ExternalTool.dockerCompose.shouldRun))
    func dockerComposeAcceptsTheFile() async throws {
        let compose = try ExternalTool.dockerCompose.require()
        let run = try await Spawn.run([compose, "-f", ComposeFolder.path("docker-compose.yml"), "--env-file", ComposeFolder.path(".env.example"), "config"])
        #expect(run.status == 0, "\(run.output)")
        let config = try #require(try Yams.load(yaml: run.output) as? [String: Any], "\(run.output)")
        let services = config["services"] as? [String: [String: Any]] ?? [:]
        #expect(Set(services.keys) == Self.services)
        for (name, service) in services {
            #expect(service["healthcheck"] != nil, "\(name) has a health check")
            for port in service["ports"] as? [String] ?? [] { #expect(port.hasPrefix("127.0.0.1:"), "\(name) publishes \(port)") }
        }
        for name in Self.services.sorted() {
            let mounts = services[name]?["volumes"] as? [String] ?? []
            #expect(mounts.contains { $0.hasPrefix("\(name)-data:") }, "\(name) keeps its state in the named volume \(name)-data")
        }
        let secrets = config["secrets"] as? [String: [String: Any]] ?? [:]
        #expect(Set(secrets.keys) == ["arbiter_admin_token", "arbiter_vault_key", "postgres_password", "grafana_admin_password"])
        for (name, secret) in secrets {
            #expect((secret["file"] as? String)?.hasPrefix(ComposeFolder.path("secrets") + "/") == true, "\(name) is a file in compose/secrets")
        }
        let ignored = try String(contentsOfFile: ComposeFolder.path("secrets/.gitignore"), encoding: .utf8)
        #expect(ignored.contains("*\n") && ignored.contains("!.gitignore"), "nothing in compose/secrets but its .gitignore is committed")
    }

    @Test("promtool check config accepts Prometheus's configuration and finds the shipped rules", .enabled(if: ExternalTool.promtool.shouldRun))
    func promtoolAcceptsPrometheusConfiguration() async throws {
        let directory = try TemporaryDirectory(prefix: "compose")
        defer { directory.remove() }
        let secrets = try ComposeFolder.secrets(in: directory)
        // promtool reads the rule files and checks that the token file exists: the container paths
        // become the repository's and a real file.
        let config = try directory.write(
            "prometheus.yml",
            try ComposeFolder.substituted(
                "prometheus/prometheus.yml", [("/etc/prometheus/alerts", ComposeFolder.alerts), ("/run/secrets/arbiter_admin_token", secrets.tokenFile)]))
        let run = try await Spawn.run([try ExternalTool.promtool.require(), "check", "config", config])
        #expect(run.status == 0 && run.output.contains("rule files found"), "\(run.output)")
    }

    @Test("amtool check-config accepts Alertmanager's configuration", .enabled(if: ExternalTool.amtool.shouldRun))
    func amtoolAcceptsAlertmanagerConfiguration() async throws {
        let run = try await Spawn.run([try ExternalTool.amtool.require(), "check-config", ComposeFolder.path("alertmanager/alertmanager.yml")])
        #expect(run.status == 0 && run.output.contains("SUCCESS"), "\(run.output)")
    }

    @Test func arbiterAcceptsItsConfiguration() async throws {
        let directory = try TemporaryDirectory(prefix: "compose")
        defer { directory.remove() }
        let result = try await ArbiterServer.run(["config", "check", "--config", ComposeFolder.path("arbiter.yml")], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("postgres://arbiter@postgres:5432/arbiter") && result.stdout.contains("/run/secrets/arbiter_admin_token"))
    }
}
