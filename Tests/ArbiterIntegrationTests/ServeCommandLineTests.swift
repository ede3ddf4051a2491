import ArbiterTesting
import Foundation
import Testing

/// What an operator sees when the configuration or the environment is wrong: a non-zero exit and a
/// message naming the file, line and key, or the address.
@Suite struct ServeCommandLineTests {
    @Test func unknownKeyNamesFileLineAndKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("arbiter.yaml", "listen: 127.0.0.1:0\nlog:\n  format: json\n  colour: true\n")
        let result = try await ArbiterServer.run(["serve", "--config", config], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("arbiter: error: invalid configuration: \(config):4:3: log.colour: unknown key"), "\(result.stderr)")
    }

    @Test func wrongTypeNamesFileLineAndKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("arbiter.yaml", "metrics:\n  series_limit: [1, 2]\n")
        let result = try await ArbiterServer.run(["config", "check", "--config", config], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(config):2:17: metrics.series_limit: expected a single value, got a list"), "\(result.stderr)")
    }

    @Test func aBrokenRuleFileStopsTheStartNamingFileAndLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("rules.yml", "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(up)\n")
        let config = try directory.write("arbiter.yaml", "listen: 127.0.0.1:0\ndata_dir: \(directory.file("data"))\nrule_files: [rules.yml]\n")
        let result = try await ArbiterServer.run(["serve", "--config", config], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot load rule files: \(directory.file("rules.yml")):5:15: group \"g\", rule 1, \"A\": could not parse expression"), "\(result.stderr)")
    }

    @Test func clusterModeWithTheEmbeddedStoreIsRefusedNamingTheKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("arbiter.yaml", "cluster:\n  redis: redis://127.0.0.1:6379/0\n")
        let result = try await ArbiterServer.run(["config", "check", "--config", config], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("cluster.redis: cluster mode needs the PostgreSQL store"), "\(result.stderr)")
    }

    @Test func unreadableFileIsNamed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await ArbiterServer.run(["serve", "--config", directory.file("missing.yaml")], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(directory.file("missing.yaml")): cannot read the configuration file: no such file"), "\(result.stderr)")
    }

    @Test func portInUseNamesTheAddress() async throws {
        try await ArbiterServer.with { first in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let result = try await ArbiterServer.run(
                ["serve", "--listen", first.address, "--data-dir", directory.file("data")], in: directory)
            #expect(result.status != 0)
            #expect(result.stderr.contains("arbiter: error: cannot listen on \(first.address): Address already in use"), "\(result.stderr)")
        }
    }

    @Test func configCheckPrintsTheEffectiveConfiguration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("arbiter.yaml", "log:\n  level: debug\n")
        let result = try await ArbiterServer.run(
            ["config", "check", "--config", config, "--listen", "127.0.0.1:4567"], environment: ["ARBITER_LOG_FORMAT": "json"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("listen: 127.0.0.1:4567"))
        #expect(result.stdout.contains("# flag --listen"))
        #expect(result.stdout.contains("  level: debug"))
        #expect(result.stdout.contains("# \(config):2"))
        #expect(result.stdout.contains("  format: json"))
        #expect(result.stdout.contains("# env ARBITER_LOG_FORMAT"))
    }

    @Test func environmentOverridesFileAndFlagsOverrideEnvironment() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("arbiter.yaml", "data_dir: /from/file\nlisten: 127.0.0.1:1111\n")
        let result = try await ArbiterServer.run(
            ["config", "check", "--config", config, "--listen", "127.0.0.1:3333"],
            environment: ["ARBITER_DATA_DIR": "/from/env", "ARBITER_LISTEN": "127.0.0.1:2222"], in: directory)
        #expect(result.stdout.contains("data_dir: /from/env"))
        #expect(result.stdout.contains("listen: 127.0.0.1:3333"))
    }

    @Test func dataDirectoryIsCreated() async throws {
        try await ArbiterServer.with { server in
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: server.directory.file("data"), isDirectory: &isDirectory))
            #expect(isDirectory.boolValue)
        }
    }

    @Test func logsAreStructuredJSONOnStderr() async throws {
        try await ArbiterServer.with { server in
            let lines = server.logLines
            #expect(lines.count >= 2)
            #expect(lines.allSatisfy { $0["ts"] != nil && $0["level"] != nil && $0["msg"] != nil })
            #expect(lines.contains { $0["msg"] == "arbiter is ready" && $0["address"] == server.address })
        }
    }
}
