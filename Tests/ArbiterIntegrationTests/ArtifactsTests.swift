import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Job artifacts end to end: `arbiter worker --exec` uploads what its command leaves in
/// `$ARBITER_ARTIFACTS_DIR`; an HTTP worker attaches under its lease token, fenced and limited; readers
/// list and download them as attachments; the console lists them.
@Suite struct ArtifactsTests {
    static let config = """
        artifacts:
          max_file_bytes: 1024
          max_job_bytes: 1536
        """

    func json(_ response: HTTPProbe.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    @Test(arguments: StoreKind.available)
    func theExecWorkerUploadsWhatItsCommandLeaves(store kind: StoreKind) async throws {
        try await ArbiterServer.with(config: Self.config, store: kind) { server in
            let command = #"printf 'shot' > "$ARBITER_ARTIFACTS_DIR/screen.png"; printf 'x' > "$ARBITER_ARTIFACTS_DIR/.hidden"; echo '{"ok":true}'"#
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["render": command])
            defer { Task { await worker.stop() } }
            let id = try #require(self.json(try await server.post("/api/v1/jobs", json: #"{"type":"render","payload":{}}"#))["id"] as? String)
            try await Polling.until("the job ran") { self.json(try await server.get("/api/v1/jobs/\(id)"))["state"] as? String == "succeeded" }
            let listed = self.json(try await server.get("/api/v1/jobs/\(id)/artifacts"))["artifacts"] as? [[String: Any]] ?? []
            #expect(listed.count == 1 && listed.first?["name"] as? String == "screen.png" && listed.first?["size"] as? Int == 4, "\(listed)")
            let onTheJob = self.json(try await server.get("/api/v1/jobs/\(id)"))["artifacts"] as? [[String: Any]] ?? []
            #expect(onTheJob.map { $0["name"] as? String } == ["screen.png"], "the job lists its artifacts")
            let download = try await server.get("/api/v1/jobs/\(id)/artifacts/screen.png")
            #expect(download.status == 200 && download.body == Array("shot".utf8))
            #expect(download.header("Content-Disposition") == #"attachment; filename="screen.png""#)
            #expect(download.header("X-Content-Type-Options") == "nosniff" && download.header("Content-Security-Policy") == "sandbox")
            #expect(try await server.get("/api/v1/jobs/\(id)/artifacts/other.png").status == 404)
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_artifacts_attached_total{job_type="render"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"arbiter_artifact_bytes_attached_total{job_type="render"} 4"#))
            let page = try await server.consoleGet("/console/jobs/\(id)", try await server.consoleSignIn(server.adminToken))
            #expect(page.text.contains("/console/jobs/\(id)/artifacts/screen.png"), "\(page.text)")
        }
    }

    @Test func anHTTPWorkerAttachesUnderItsLeaseWithinTheLimits() async throws {
        try await ArbiterServer.with(config: Self.config) { server in
            #expect(try await server.post("/api/v1/workers/register", json: #"{"id":"h1","capabilities":["report"],"concurrency":1}"#).status == 201)
            let id = try #require(self.json(try await server.post("/api/v1/jobs", json: #"{"type":"report","payload":{}}"#))["id"] as? String)
            let leased = self.json(try await server.post("/api/v1/workers/h1/lease?wait=5s", json: ""))
            let token = try #require(((leased["jobs"] as? [[String: Any]])?.first?["lease"] as? [String: Any])?["token"] as? String)
            func put(_ name: String, _ bytes: Int, token: String? = token) async throws -> HTTPProbe.Response {
                let query = token.map { "?token=\($0)" } ?? ""
                return try await server.send(
                    "/api/v1/jobs/\(id)/artifacts/\(name)\(query)", method: .PUT, headers: [("Content-Type", "text/csv")],
                    body: Array(repeating: UInt8(ascii: "a"), count: bytes))
            }
            let created = try await put("rows.csv", 1000)
            #expect(created.status == 201 && self.json(created)["content_type"] as? String == "text/csv", "\(created.text)")
            #expect(try await put("rows.csv", 1000).status == 200, "the same name replaces")
            let stale = try await put("x.csv", 1, token: String((Int64(token) ?? 0) + 1))
            #expect(stale.status == 409 && stale.text.contains("stale_lease") && stale.text.contains(#""field":"token""#), "\(stale.text)")
            let tooLarge = try await put("big.csv", 1025)
            #expect(tooLarge.status == 413 && tooLarge.text.contains("artifacts_too_large"), "\(tooLarge.text)")
            let overJob = try await put("more.csv", 600)
            #expect(overJob.status == 413 && overJob.text.contains("artifacts_too_large") && overJob.text.contains("1536"), "\(overJob.text)")
            let badName = try await put(".env", 1)
            #expect(badName.status == 400 && badName.text.contains(#""field":"name""#), "\(badName.text)")
            let noToken = try await put("y.csv", 1, token: nil)
            #expect(noToken.status == 400 && noToken.text.contains(#""field":"token""#), "\(noToken.text)")
            let audit = try await server.get("/api/v1/audit?action=job.artifact_attached").text
            #expect(audit.contains(#""name":"rows.csv""#) && audit.contains(#""size":"1000""#), "\(audit)")
            #expect(try await server.post("/api/v1/jobs/\(id)/complete", json: #"{"token":"\#(token)"}"#).status == 200)
            #expect(try await put("late.csv", 1).status == 409, "an attempt that ended takes no more files")
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_artifacts_refused_total{reason="artifacts_too_large"} 2"#), "\(metrics)")
        }
    }
}
