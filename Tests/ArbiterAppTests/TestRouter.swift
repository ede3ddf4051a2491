@testable import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterPromQL
import ArbiterRules
import ArbiterStorage
import ArbiterTSDB
import ArbiterTesting
import Hummingbird

/// The daemon's router over a fresh SQLite store in a temporary directory, for tests that inspect
/// the routes it serves.
enum TestRouter {
    static func with(_ body: (Router<ArbiterRequestContext>) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "router")
        defer { directory.remove() }
        let path = directory.file("arbiter.db")
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: path))
        let store = try Ledger.sqlite(path: path)
        let registry = MetricRegistry()
        let metrics = try JobMetrics(registry: registry)
        let router = try ArbiterRouter.build(.init(
            registry: registry, readiness: Readiness(), healthChecks: [],
            scheduler: Scheduler(store: store, workers: store, consents: store, policies: [:], leaseTimeout: .seconds(30), observer: metrics),
            jobMetrics: metrics, access: .init(tokens: store, audit: store),
            queryAPI: QueryAPI(head: Head(), engine: Engine(), rules: NoRules(), registry: registry),
            capacity: CapacityReport(window: .seconds(900), targetWait: .seconds(1)), cluster: AloneCluster(),
            console: .init(sessions: try ConsoleSessions(registry: registry)), artifacts: ArtifactOptions(store: store, limits: .default)))
        do {
            try await body(router)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }
}

/// A process alone.
struct AloneCluster: ClusterView {
    func snapshot() async -> ClusterSnapshot {
        ClusterSnapshot(clustered: false, replicaID: "test", leader: "test", epoch: nil, coordination: "local", replicas: [])
    }
}

/// No rule files.
struct NoRules: RuleSource {
    var currentGroups: [RuleGroup] { [] }
    func reload() throws(RuleLoadError) -> Int { 0 }
}
