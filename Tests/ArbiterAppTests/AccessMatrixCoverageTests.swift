@testable import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterStorage
import ArbiterTesting
import HTTPTypes
import Hummingbird
import Testing

/// Every route the router serves has an entry in the access matrix, and the matrix has no entry for
/// a route that does not exist.
@Suite struct AccessMatrixCoverageTests {
    @Test func everyServedRouteIsInTheMatrix() async throws {
        let directory = try TemporaryDirectory(prefix: "matrix")
        defer { directory.remove() }
        let path = directory.file("arbiter.db")
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: path))
        let store = try SQLiteJobStore(path: path)
        let registry = MetricRegistry()
        let metrics = try JobMetrics(registry: registry)
        let router = try ArbiterRouter.build(.init(
            registry: registry, readiness: Readiness(), healthChecks: [],
            scheduler: Scheduler(store: store, workers: store, consents: store, policies: [:], leaseTimeout: .seconds(30), observer: metrics),
            jobMetrics: metrics, access: .init(tokens: store, audit: store)))
        let served = Set(router.routes.map { AccessMatrix.key(method: $0.method.rawValue, path: "\($0.path)") })
        #expect(served.subtracting(AccessMatrix.routes.keys).isEmpty, "no access entry: \(served.subtracting(AccessMatrix.routes.keys).sorted())")
        #expect(Set(AccessMatrix.routes.keys).subtracting(served).isEmpty, "no such route: \(Set(AccessMatrix.routes.keys).subtracting(served).sorted())")
        try await store.close()
    }
}
