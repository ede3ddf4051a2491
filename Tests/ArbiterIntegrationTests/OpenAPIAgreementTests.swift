import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Where the server and its OpenAPI document once disagreed, the answer is the documented one: its
/// status is listed for the operation and its content type is one the document gives. (The
/// schemathesis run in `scripts/schemathesis` checks every operation this way.)
@Suite struct OpenAPIAgreementTests {
    typealias JSON = [String: Any]

    /// The media types the document gives for an answer (`[]` when it has no body), or `nil` when the
    /// status is not documented for the operation.
    func documented(_ document: JSON, _ method: String, _ path: String, _ status: Int) -> [String]? {
        let operation = ((document["paths"] as? JSON)?[path] as? JSON)?[method] as? JSON
        guard var response = (operation?["responses"] as? JSON)?[String(status)] as? JSON else { return nil }
        if let reference = response["$ref"] as? String, let name = reference.split(separator: "/").last {
            response = ((document["components"] as? JSON)?["responses"] as? JSON)?[String(name)] as? JSON ?? [:]
        }
        return (response["content"] as? JSON).map { Array($0.keys) } ?? []
    }

    func mediaType(_ response: HTTPProbe.Response) -> String {
        (response.header("Content-Type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    @Test func theAnswersOnceUndocumentedAreDocumented() async throws {
        try await ArbiterServer.with { server in
            let document = try #require(try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/openapi.json").body)) as? JSON)

            let (_, job) = try await JobsAPITests().post(server, "/api/v1/jobs", #"{"type":"x","payload":1}"#)
            let id = try #require(job["id"] as? String)
            let reason = String(repeating: "r", count: 1025)
            let cancel = try await server.post("/api/v1/jobs/\(id)/cancel", json: #"{"reason":"\#(reason)"}"#)
            #expect(cancel.status == 400)
            #expect(self.documented(document, "post", "/api/v1/jobs/{id}/cancel", cancel.status)?.contains(self.mediaType(cancel)) == true)

            let connect = try await server.get("/api/v1/workers/w1/connect")
            #expect(connect.status == 426)
            #expect(self.documented(document, "get", "/api/v1/workers/{id}/connect", connect.status)?.contains(self.mediaType(connect)) == true)

            for (query, accept, expected) in [
                ("?format=openmetrics", "", "application/openmetrics-text"), ("?format=text", "", "text/plain"),
                ("", "application/openmetrics-text;version=1.0.0", "application/openmetrics-text"), ("", "", "text/plain"),
            ] {
                let metrics = try await server.get("/metrics\(query)", headers: accept.isEmpty ? [] : [("Accept", accept)])
                #expect(metrics.status == 200 && self.mediaType(metrics) == expected, "\(query) \(accept): \(metrics.header("Content-Type") ?? "")")
                #expect(self.documented(document, "get", "/metrics", 200)?.contains(self.mediaType(metrics)) == true, "\(query) \(accept)")
            }
        }
    }
}
