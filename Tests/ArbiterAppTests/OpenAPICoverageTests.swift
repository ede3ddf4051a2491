@testable import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterStorage
import ArbiterTesting
import Foundation
import Hummingbird
import Testing

/// The OpenAPI document describes exactly the routes the router serves, and the compiled-in copy is
/// the file in `openapi/`.
@Suite struct OpenAPICoverageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedDocumentMatchesTheFile() throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent("openapi/arbiter.openapi.json"), encoding: .utf8)
        #expect(EmbeddedOpenAPI.json == file, "run scripts/embed-openapi")
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        try await TestRouter.with { router in
            // The console's pages are HTML for a browser, not part of the API the document describes.
            let served = Set(router.routes.filter { !"\($0.path)".hasPrefix("/console") }.map { "\($0.method.rawValue.lowercased()) \(Self.normalize("\($0.path)"))" })

            let document = try #require(try JSONSerialization.jsonObject(with: Data(EmbeddedOpenAPI.json.utf8)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, operations in operations.keys.map { "\($0) \(path)" } })

            #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        }
    }

    /// `/api/v1/jobs/:id` or `api/v1/jobs/{id}` → `/api/v1/jobs/{id}`.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/").map { part -> String in
            part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
