import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// The audit log of a real server: verifiable by the CLI and the API, tamper-evident, fail-closed.
@Suite struct AuditLogIntegrationTests {
    @Test func editingOneRowIsCaughtByTheCLIAndTheAPI() async throws {
        let directory = try TemporaryDirectory(prefix: "audit")
        defer { directory.remove() }
        let data = directory.file("data")
        try await ArbiterServer.with(dataDirectory: data) { server in
            for index in 0..<5 {
                #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":\#(index)}}"#).status == 201)
            }
            let verified = try await server.get("/api/v1/audit/verify").text
            #expect(verified.contains(#""intact":true"#) && verified.contains(#""length":7"#), "token, configuration, 5 jobs")
        }
        let intact = try await ArbiterServer.run(["audit", "verify", "--data-dir", data], in: directory)
        #expect(intact.status == 0 && intact.stdout == "audit chain intact: 7 entries\n", "\(intact.stdout)\(intact.stderr)")

        // Someone with the database file rewrites who submitted the fourth entry's job.
        let file = try SQLiteConnection(path: data + "/arbiter.db")
        try file.execute("UPDATE audit_logs SET actor = 'token:someone-else' WHERE seq = 4")
        let broken = try await ArbiterServer.run(["audit", "verify", "--data-dir", data], in: directory)
        #expect(broken.status != 0)
        #expect(broken.stdout.contains("BROKEN at entry 4"), "\(broken.stdout)")

        // The server, restarted on the same store, says the same.
        try await ArbiterServer.with(dataDirectory: data) { server in
            let answer = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/audit/verify").body)) as? [String: Any]
            #expect(answer?["intact"] as? Bool == false)
            #expect((answer?["first_broken"] as? [String: Any])?["seq"] as? Int == 4)
            let viaServer = try await ArbiterServer.run(
                ["audit", "verify", "--server", server.baseURL], environment: ["ARBITER_TOKEN": server.adminToken], in: directory)
            #expect(viaServer.status != 0 && viaServer.stdout.contains("BROKEN at entry 4"))
        }
    }

    @Test func aChangeWhoseAuditWriteFailsIsNotMade() async throws {
        try await ArbiterServer.with { server in
            let kept = try JSONSerialization.jsonObject(with: Data(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{}}"#).body))
            let keptID = try #require((kept as? [String: Any])?["id"] as? String)
            // The audit table refuses every insert from now on (as a full disk or a broken file would).
            let file = try SQLiteConnection(path: server.directory.file("data/arbiter.db"))
            try file.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END")

            let submit = try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"lost":true}}"#)
            #expect(submit.status == 503 && submit.text.contains("audit_unavailable"), "\(submit.text)")
            let cancel = try await server.post("/api/v1/jobs/\(keptID)/cancel", json: "{}")
            #expect(cancel.status == 503)
            let pause = try await server.post("/api/v1/job-types/mail/pause", json: "{}")
            #expect(pause.status == 503)

            let list = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/jobs").body)) as? [String: Any]
            let jobs = list?["jobs"] as? [[String: Any]] ?? []
            #expect(jobs.count == 1 && jobs.first?["state"] as? String == "queued", "only the first job exists, still queued")
            let types = try await server.get("/api/v1/job-types").text
            #expect(types.contains(#""paused":false"#))
            #expect(try await server.get("/metrics").text.contains("arbiter_audit_write_failures_total 3"))

            try file.execute("DROP TRIGGER refuse_audit")
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{}}"#).status == 201)
            #expect(try await server.get("/api/v1/audit/verify").text.contains(#""intact":true"#))
        }
    }
}
