import ArbiterHTTP
import HTTPTypes
import Hummingbird
import Testing

/// Every route the router serves has an entry in the access matrix, and the matrix has no entry for
/// a route that does not exist.
@Suite struct AccessMatrixCoverageTests {
    @Test func everyServedRouteIsInTheMatrix() async throws {
        try await TestRouter.with { router in
            let served = Set(router.routes.map { AccessMatrix.key(method: $0.method.rawValue, path: "\($0.path)") })
            #expect(served.subtracting(AccessMatrix.routes.keys).isEmpty, "no access entry: \(served.subtracting(AccessMatrix.routes.keys).sorted())")
            #expect(Set(AccessMatrix.routes.keys).subtracting(served).isEmpty, "no such route: \(Set(AccessMatrix.routes.keys).subtracting(served).sorted())")
        }
    }
}
