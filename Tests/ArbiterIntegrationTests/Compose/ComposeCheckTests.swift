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

    /// Libraries every Debian image has (the C library, and what apt itself links).
    static let baseImagePackages: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]

    @Test("the image's runtime stage installs the package of every C library the binary links (the Swift runtime is linked in statically there)")
    func runtimeStageInstallsEveryLinkedLibrary() async throws {
        let needed = try await Spawn.run(["/usr/bin/readelf", "-d", ArbiterServer.binary])
        #expect(needed.status == 0, "\(needed.output)")
        let libraries = needed.output.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        let system = libraries.filter { name in
            !["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "ld-linux"].contains { name.hasPrefix($0) }
        }
        #expect(system.contains("libhiredis.so.0.14") && system.contains("libpq.so.5"), "\(libraries)")
        let dockerfile = try String(contentsOfFile: ComposeFolder.path("Dockerfile"), encoding: .utf8)
        let runtime = try #require(dockerfile.components(separatedBy: "FROM ${RUNTIME_IMAGE}").last)
        let instructions = runtime.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }.joined(separator: "\n")
        let installed = Set(instructions.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).map(String.init))
        for library in system {
            // dpkg -S prints "package:arch: /path" for each installed file whose path matches.
            let owner = try await Spawn.run(["/usr/bin/dpkg", "-S", "*/\(library)"])
            let package = try #require(owner.output.split(separator: "\n").first?.split(separator: ":").first.map(String.init), "\(owner.output)")
            #expect(
                Self.baseImagePackages.contains(package) || installed.contains(package),
                "the binary links \(library) from \(package), which compose/Dockerfile's runtime stage does not install")
        }
    }

    @Test func arbiterAcceptsItsConfiguration() async throws {
        let directory = try TemporaryDirectory(prefix: "compose")
        defer { directory.remove() }
        let result = try await ArbiterServer.run(["config", "check", "--config", ComposeFolder.path("arbiter.yml")], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("postgres://arbiter@postgres:5432/arbiter") && result.stdout.contains("/run/secrets/arbiter_admin_token"))
    }
}
