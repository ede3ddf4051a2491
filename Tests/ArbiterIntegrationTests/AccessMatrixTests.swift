import ArbiterHTTP
import ArbiterTesting
import Foundation
import JWTKit
import NIOHTTP1
import Testing

/// Every route × every role on a real server: the README's access matrix, cell by cell. A route added
/// without an entry here (or in the server's matrix) fails.
@Suite struct AccessMatrixTests {
    /// Route → the roles allowed; `*` is anonymous (no token needed). This is the README's table.
    static let expected: [String: String] = [
        "GET /health": "*", "GET /livez": "*", "GET /readyz": "*",
        "GET /health/detailed": "admin operator submitter viewer",
        "GET /metrics": "admin operator submitter viewer",
        "GET /api/v1/openapi.json": "admin operator submitter viewer",
        "GET /api/docs": "admin operator submitter viewer",
        "GET /api/v1/jobs": "admin operator submitter viewer",
        "GET /api/v1/jobs/{id}": "admin operator submitter viewer",
        "GET /api/v1/jobs/{id}/artifacts": "admin operator submitter viewer",
        "GET /api/v1/jobs/{id}/artifacts/{name}": "admin operator submitter viewer",
        "GET /api/v1/job-types": "admin operator submitter viewer",
        "GET /api/v1/workers": "admin operator submitter viewer",
        "GET /api/v1/workers/{id}": "admin operator submitter viewer",
        "GET /api/v1/query": "admin operator submitter viewer",
        "POST /api/v1/query": "admin operator submitter viewer",
        "GET /api/v1/query_range": "admin operator submitter viewer",
        "POST /api/v1/query_range": "admin operator submitter viewer",
        "GET /api/v1/series": "admin operator submitter viewer",
        "POST /api/v1/series": "admin operator submitter viewer",
        "GET /api/v1/labels": "admin operator submitter viewer",
        "POST /api/v1/labels": "admin operator submitter viewer",
        "GET /api/v1/label/{name}/values": "admin operator submitter viewer",
        "GET /api/v1/metadata": "admin operator submitter viewer",
        "GET /api/v1/rules": "admin operator submitter viewer",
        "GET /api/v1/alerts": "admin operator submitter viewer",
        "GET /api/v1/status/buildinfo": "admin operator submitter viewer",
        "POST /-/reload": "admin operator",
        "POST /api/v1/jobs": "admin operator submitter",
        "POST /api/v1/jobs/batch": "admin operator submitter",
        "POST /api/v1/jobs/{id}/cancel": "admin operator submitter",
        "POST /api/v1/consents": "admin operator submitter",
        "GET /api/v1/consents": "admin operator submitter",
        "GET /api/v1/consents/{id}": "admin operator submitter",
        "POST /api/v1/consents/{id}/revoke": "admin operator submitter",
        "PUT /api/v1/users/{user}/credentials/{scope}": "admin operator submitter",
        "DELETE /api/v1/users/{user}/credentials/{scope}": "admin operator submitter",
        "POST /api/v1/jobs/{id}/retry": "admin operator",
        "POST /api/v1/job-types/{type}/pause": "admin operator",
        "POST /api/v1/job-types/{type}/resume": "admin operator",
        "GET /api/v1/actions": "admin operator submitter viewer",
        "POST /api/v1/actions/breakers/{type}": "admin operator",
        "POST /api/v1/actions/silences": "admin operator",
        "POST /api/v1/alertmanager/webhook": "admin operator",
        "GET /api/v1/capacity": "admin operator submitter viewer",
        "GET /api/v1/cluster": "admin operator submitter viewer",
        "POST /api/v1/workers/{id}/drain": "admin operator worker",
        "DELETE /api/v1/workers/{id}": "admin operator",
        "GET /api/v1/audit": "admin operator",
        "GET /api/v1/audit/verify": "admin operator",
        "POST /api/v1/tokens": "admin",
        "GET /api/v1/tokens": "admin",
        "DELETE /api/v1/tokens/{id}": "admin",
        "POST /api/v1/jobs/{id}/complete": "admin worker",
        "POST /api/v1/jobs/{id}/fail": "admin worker",
        "POST /api/v1/jobs/{id}/progress": "admin worker",
        "PUT /api/v1/jobs/{id}/artifacts/{name}": "admin worker",
        "POST /api/v1/workers/register": "admin worker",
        "POST /api/v1/workers/{id}/heartbeat": "admin worker",
        "POST /api/v1/workers/{id}/lease": "admin worker",
        "GET /api/v1/workers/{id}/connect": "admin worker",
    ]

    static let secret = "an-hs256-secret-of-at-least-32-bytes!"

    struct Claims: JWTPayload {
        var exp: ExpirationClaim
        var sub: SubjectClaim
        var role: String
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    @Test func theServersMatrixIsTheDocumentedOne() {
        // The console's routes are checked with sessions, in ConsoleAccessTests.
        #expect(Set(AccessMatrix.routes.keys.filter { !$0.contains(" /console") }) == Set(Self.expected.keys))
    }

    @Test func everyRouteAnswersEveryRoleAsDocumented() async throws {
        let config = """
            auth:
              lockout: {failures: 100000}
              jwt: {hs256_secret: "\(Self.secret)"}
            """
        try await ArbiterServer.with(config: config) { server in
            var tokens: [String: String] = ["admin": server.adminToken, "none": ""]
            for role in ["operator", "submitter", "viewer"] {
                tokens[role] = try await server.createToken(name: role, role: role)
            }
            tokens["worker"] = try await server.createToken(name: "w-self", role: "worker", workerID: "w-self")
            let revoked = try await server.createToken(name: "gone", role: "admin")
            let list = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/tokens").body)) as? [String: Any]
            let goneID = try #require((list?["tokens"] as? [[String: Any]])?.first { $0["name"] as? String == "gone" }?["id"] as? String)
            #expect(try await server.send("/api/v1/tokens/\(goneID)", method: .DELETE).status == 200)
            tokens["revoked"] = revoked
            let keys = await JWTKeyCollection().add(hmac: HMACKey(from: Self.secret), digestAlgorithm: .sha256)
            tokens["expired_jwt"] = try await keys.sign(Claims(exp: .init(value: Date(timeIntervalSinceNow: -60)), sub: "ops", role: "admin"))

            for (route, allowed) in Self.expected.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ")
                let method = HTTPMethod(rawValue: String(parts[0]))
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "w-self").replacingOccurrences(of: "{type}", with: "t")
                    .replacingOccurrences(of: "{user}", with: "u").replacingOccurrences(of: "{scope}", with: "s")
                let body: [UInt8]? = method == .POST || method == .PUT ? Array("{}".utf8) : nil
                for (caller, token) in tokens.sorted(by: { $0.key < $1.key }) {
                    let status = try await server.send(path, method: method, headers: [("Content-Type", "application/json")], body: body, token: token)
                        .status
                    let cell = "\(route) as \(caller)"
                    if allowed == "*" {
                        #expect(status == 200, "\(cell): \(status)")
                    } else if ["none", "revoked", "expired_jwt"].contains(caller) {
                        #expect(status == 401, "\(cell): \(status)")
                    } else if allowed.split(separator: " ").contains(Substring(caller)) {
                        #expect(status != 401 && status != 403 && status < 500, "\(cell): \(status)")
                    } else {
                        #expect(status == 403, "\(cell): \(status)")
                    }
                }
            }
            // A worker token acts only as its own worker.
            let other = try await server.send("/api/v1/workers/someone-else/heartbeat", method: .POST, token: tokens["worker"])
            #expect(other.status == 403 && other.text.contains("acts only as worker w-self"))
            let register = try await server.post("/api/v1/workers/register", json: #"{"id":"someone-else","capabilities":["t"]}"#, token: tokens["worker"])
            #expect(register.status == 403)
            // A worker drains itself (as its WebSocket's drain message does), and no other worker.
            let registered = try await server.post("/api/v1/workers/register", json: #"{"id":"w-self","capabilities":["t"]}"#, token: tokens["worker"])
            #expect(registered.status == 200 || registered.status == 201)
            let drained = try await server.send("/api/v1/workers/w-self/drain", method: .POST, token: tokens["worker"])
            #expect(drained.status == 200 && drained.text.contains(#""state":"draining""#), "\(drained.status) \(drained.text)")
            let drainOther = try await server.send("/api/v1/workers/someone-else/drain", method: .POST, token: tokens["worker"])
            #expect(drainOther.status == 403 && drainOther.text.contains("acts only as worker w-self"))
        }
    }
}
