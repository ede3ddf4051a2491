import Foundation
import Testing
import Yams

/// The provisioning files Grafana reads (no Grafana runs here): the two Prometheus data sources, and a
/// file provider whose folder is where the Compose stack mounts `dashboards/`.
@Suite struct DashboardProvisioningTests {
    static func yaml(_ path: String) throws -> [String: Any] {
        let text = try String(contentsOf: ComposeFolder.repository.appendingPathComponent(path), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(path) is a YAML mapping")
    }

    /// The Grafana service's mounts, `host path → container path`, with host paths as written.
    static func grafanaMounts() throws -> [String: String] {
        let compose = try Self.yaml("compose/docker-compose.yml")
        let services = compose["services"] as? [String: [String: Any]] ?? [:]
        let volumes = services["grafana"]?["volumes"] as? [String] ?? []
        return Dictionary(volumes.map { mount in
            let parts = mount.split(separator: ":").map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { first, _ in first })
    }

    @Test func twoPrometheusDataSourcesOnePrometheusOneArbiterWithItsToken() throws {
        let file = try Self.yaml("dashboards/provisioning/datasources/arbiter.yaml")
        #expect(file["apiVersion"] as? Int == 1)
        let sources = try #require(file["datasources"] as? [[String: Any]])
        #expect(sources.map { $0["type"] as? String } == ["prometheus", "prometheus"])
        #expect(Set(sources.compactMap { $0["uid"] as? String }) == ["prometheus", "arbiter"])
        #expect(sources.filter { $0["isDefault"] as? Bool == true }.count == 1, "exactly one default data source")
        let arbiter = try #require(sources.first { $0["uid"] as? String == "arbiter" })
        #expect((arbiter["url"] as? String)?.hasPrefix("http://arbiter-1:8080") == true, "Arbiter's data source is a replica on its compose port")
        let headers = arbiter["jsonData"] as? [String: Any] ?? [:]
        let secure = arbiter["secureJsonData"] as? [String: Any] ?? [:]
        #expect(headers["httpHeaderName1"] as? String == "Authorization")
        #expect(secure["httpHeaderValue1"] as? String == "Bearer $__file{/run/secrets/arbiter_admin_token}", "the token comes from the mounted secret")
        // $__rate_interval is four scrape intervals: Arbiter samples every 5 s by default.
        #expect(headers["timeInterval"] as? String == "5s")
        let prometheus = try #require(sources.first { $0["uid"] as? String == "prometheus" })
        #expect((prometheus["url"] as? String)?.hasPrefix("http://prometheus:9090") == true)
    }

    @Test func theFileProviderReadsWhereComposeMountsTheDashboards() throws {
        let file = try Self.yaml("dashboards/provisioning/dashboards/arbiter.yaml")
        let providers = try #require(file["providers"] as? [[String: Any]])
        #expect(providers.count == 1)
        let provider = try #require(providers.first)
        #expect(provider["type"] as? String == "file")
        let path = try #require((provider["options"] as? [String: Any])?["path"] as? String)
        let mounts = try Self.grafanaMounts()
        #expect(mounts["../dashboards"] == path, "compose mounts dashboards/ at the provider's path \(path): \(mounts)")
        #expect(mounts["../dashboards/provisioning/datasources"] == "/etc/grafana/provisioning/datasources")
        #expect(mounts["../dashboards/provisioning/dashboards"] == "/etc/grafana/provisioning/dashboards")
        let dashboards = try FileManager.default.contentsOfDirectory(atPath: ComposeFolder.repository.appendingPathComponent("dashboards").path)
        #expect(dashboards.filter { $0.hasSuffix(".json") }.count >= 9, "the provider finds every dashboard: \(dashboards.sorted())")
    }
}
