import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Who may open the WebSocket worker channel, and what everyone else is told: a refused upgrade is the
/// documented 401 or 403 JSON error (not an empty 400), a plain GET is 426, a worker whose token is
/// refused says so and exits 1, and each kind of bad hello has its own code.
@Suite struct WorkerChannelAccessTests {
    let api = JobsAPITests()

    /// The headers of a WebSocket upgrade request (RFC 6455 §4.1).
    static let upgradeHeaders: [(String, String)] = [
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ]

    /// What a raw upgrade request on a new connection was answered.
    struct UpgradeAnswer {
        let status: Int
        let contentType: String?
        let body: String
        var error: [String: String] {
            ((try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any])?["error"] as? [String: String] ?? [:]
        }
    }

    static func upgrade(_ server: ArbiterServer, _ path: String, token: String) async throws -> UpgradeAnswer {
        let connection = try RawConnection(address: server.address)
        defer { connection.close() }
        let auth = token.isEmpty ? "" : "Authorization: Bearer \(token)\r\n"
        let headers = Self.upgradeHeaders.map { "\($0.0): \($0.1)\r\n" }.joined()
        _ = try await connection.send("GET \(path) HTTP/1.1\r\nHost: \(server.address)\r\n\(headers)\(auth)\r\n")
        let reply = try await connection.readUntilClosed(timeout: .seconds(15))
        let parts = reply.text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        let contentType = head.dropFirst().first { $0.lowercased().hasPrefix("content-type:") }.map { String($0.dropFirst(13)).trimmingCharacters(in: .whitespaces) }
        return UpgradeAnswer(status: status, contentType: contentType, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func error(_ response: HTTPProbe.Response) -> [String: String] {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["error"] as? [String: String] ?? [:]
    }

    @Test func aRefusedUpgradeIsTheDocumentedJSONError() async throws {
        try await ArbiterServer.with(config: "auth:\n  lockout: {failures: 1000}\n") { server in
            let other = try await server.createToken(name: "w-other", role: "worker", workerID: "w-other")
            let viewer = try await server.createToken(name: "viewer", role: "viewer")
            let cases: [(String, String, Int, String)] = [
                ("no token", "", 401, "unauthenticated"),
                ("unknown token", "arb_" + String(repeating: "B", count: 43), 401, "invalid_token"),
                ("malformed", "not-a-token", 401, "invalid_token"),
                ("another worker's token", other, 403, "forbidden"),
                ("a viewer", viewer, 403, "forbidden"),
            ]
            for (name, token, status, code) in cases {
                // On a fresh connection, as a worker opens one: an upgrade asked on a connection that
                // already served requests is redirected to a new one instead.
                let response = try await Self.upgrade(server, "/api/v1/workers/w1/connect", token: token)
                #expect(response.status == status, "\(name): \(response.status) \(response.body)")
                #expect(response.error["code"] == code, "\(name): \(response.body)")
                #expect(response.error["request_id"]?.isEmpty == false, "\(name): \(response.body)")
                #expect(response.contentType?.hasPrefix("application/json") == true, "\(name)")
            }
            // A worker id the channel cannot take is named too.
            let long = String(repeating: "w", count: 129)
            let badID = try await Self.upgrade(server, "/api/v1/workers/\(long)/connect", token: server.adminToken)
            #expect(badID.status == 400 && badID.error["field"] == "id", "\(badID.status) \(badID.body)")
            // The daemon still serves, and counted each refusal.
            #expect(try await server.get("/health").status == 200)
            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_auth_failures_total", ["reason": "forbidden"]) == "2")
        }
    }

    @Test func aPlainGetIsToldToUpgrade() async throws {
        try await ArbiterServer.with { server in
            let response = try await server.get("/api/v1/workers/w1/connect")
            #expect(response.status == 426 && self.error(response)["code"] == "upgrade_required", "\(response.status) \(response.text)")
            #expect(response.header("Upgrade")?.lowercased() == "websocket")
            // Without a credential it is refused before that, as every route is.
            #expect(try await server.send("/api/v1/workers/w1/connect", token: "").status == 401)
        }
    }

    @Test func aWorkerRefusedAtReconnectSaysSoAndExits() async throws {
        // The worker starts before the server, so its first check cannot reach it; the refusal comes
        // from the WebSocket upgrade once the server is up.
        let port = try FreePort.next()
        let directory = try TemporaryDirectory(prefix: "worker-refused")
        defer { directory.remove() }
        let token = "arb_" + String(repeating: "C", count: 43)
        let worker = try ChildProcess(
            executable: ArbiterServer.binary, arguments: ["worker", "--server", "http://127.0.0.1:\(port)", "--id", "w1", "--exec", "t=true"],
            environment: ["ARBITER_TOKEN": token], directory: directory.path, name: "worker")
        try await worker.waitForStderr(timeout: .seconds(30)) { $0.contains("connection to the server failed") }
        let server = try await ArbiterServer.start(listen: "127.0.0.1:\(port)")
        let status = await worker.waitForExit(timeout: .seconds(30))
        await server.stop()
        if status == nil { await worker.stop() }
        #expect(status == 1, "\(worker.stderr)")
        #expect(worker.stderr.contains("refused this worker's credentials: 401 invalid_token"), "\(worker.stderr)")
        #expect(!worker.stderr.contains(token), "the token is never printed")
    }

    @Test func eachBadHelloHasItsCode() async throws {
        let channel = WorkerProtocolErrorTests()
        try await ArbiterServer.with { server in
            let cases: [(String, String)] = [
                (#"{"type":"heartbeat"}"#, "hello_required"),
                ("not json", "hello_required"),
                (#"{"type":"hello","protocol":1,"worker_id":"w","heartbeat_interval_ms":1,"lease_timeout_ms":1}"#, "hello_required"),
                (#"{"type":"hello","protocol":2,"capabilities":["mail"]}"#, "unsupported_protocol"),
                (#"{"type":"hello","protocol":0,"capabilities":["mail"]}"#, "unsupported_protocol"),
                (#"{"type":"hello","capabilities":["mail"]}"#, "invalid_hello"),
                (#"{"type":"hello","protocol":"1","capabilities":["mail"]}"#, "invalid_hello"),
                (#"{"type":"hello","protocol":1}"#, "invalid_hello"),
                (#"{"type":"hello","protocol":1,"capabilities":["mail"],"concurrency":"many"}"#, "invalid_hello"),
                (#"{"type":"hello","protocol":1,"capabilities":[]}"#, "invalid_hello"),
                (#"{"type":"hello","protocol":1,"capabilities":["mail"],"concurrency":0}"#, "invalid_hello"),
            ]
            for (index, (hello, code)) in cases.enumerated() {
                let replies = try await channel.exchange(server, worker: "w\(index)", [hello], expect: 1)
                #expect(replies.first?["type"] as? String == "error" && replies.first?["code"] as? String == code, "\(hello): \(replies)")
                #expect((replies.first?["message"] as? String)?.isEmpty == false)
            }
            let protocol2 = try await channel.exchange(server, worker: "w-next", [#"{"type":"hello","protocol":2,"capabilities":["mail"]}"#], expect: 1)
            #expect((protocol2.first?["message"] as? String)?.contains("protocol 1") == true, "the answer names the protocol the server speaks")
        }
    }

    @Test func registrationTellsAnHTTPWorkerItsTimings() async throws {
        try await ArbiterServer.with(config: "workers:\n  timeout: 12s\n  lease_timeout: 40s\n") { server in
            let (status, worker) = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w1","capabilities":["mail"]}"#)
            #expect(status == 201)
            #expect(worker["heartbeat_interval_ms"] as? Int == 4000, "\(worker)")
            #expect(worker["worker_timeout_ms"] as? Int == 12000, "\(worker)")
            #expect(worker["lease_timeout_ms"] as? Int == 40000, "\(worker)")
            // The HTTP assignment carries what the WebSocket one does: the user and the tags.
            _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{},"user_id":"u-17","tags":["welcome"]}"#)
            let (_, lease) = try await self.api.post(server, "/api/v1/workers/w1/lease?wait=5s", "")
            let assignment = try #require((lease["jobs"] as? [[String: Any]])?.first)
            #expect(assignment["user_id"] as? String == "u-17" && assignment["tags"] as? [String] == ["welcome"], "\(assignment)")
            #expect(assignment["credential"] == nil, "no credential for a type that needs no consent")
        }
    }
}
