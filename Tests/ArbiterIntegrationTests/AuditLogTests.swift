import ArbiterTesting
import Foundation
import Testing

/// The audit log of a real server: verifiable by the CLI (reading the store directly, no server
/// running: `--data-dir` for SQLite, `--store URL` for PostgreSQL) and the API, tamper-evident,
/// fail-closed; on both stores.
@Suite struct AuditLogIntegrationTests {
    @Test(arguments: StoreKind.available)
    func editingOneRowIsCaughtByTheCLIAndTheAPI(store kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "audit")
        defer { directory.remove() }
        let data = directory.file("data")
        let store = try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            for index in 0..<5 {
                #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":\#(index)}}"#).status == 201)
            }
            let verified = try await server.get("/api/v1/audit/verify").text
            #expect(verified.contains(#""intact":true"#) && verified.contains(#""length":7"#), "token, configuration, 5 jobs")
            return server.store
        }
        defer { store.drop() }
        let intact = try await ArbiterServer.run(["audit", "verify"] + store.commandLineArguments, in: directory)
        #expect(intact.status == 0 && intact.stdout == "audit chain intact: 7 entries\n", "\(intact.stdout)\(intact.stderr)")

        // Someone with the database rewrites who submitted the first job (entry 3).
        try await store.execute("UPDATE audit_logs SET actor = 'mallory' WHERE seq = 3")
        let broken = try await ArbiterServer.run(["audit", "verify"] + store.commandLineArguments, in: directory)
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("BROKEN at entry 3"), "\(broken.stdout)\(broken.stderr)")

        // The server, restarted on the same store, says the same.
        try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            let answer = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/audit/verify").body)) as? [String: Any]
            #expect(answer?["intact"] as? Bool == false)
            #expect((answer?["first_broken"] as? [String: Any])?["seq"] as? Int == 3)
            let viaServer = try await ArbiterServer.run(
                ["audit", "verify", "--server", server.baseURL], environment: ["ARBITER_TOKEN": server.adminToken], in: directory)
            #expect(viaServer.status == 1 && viaServer.stdout.contains("BROKEN at entry 3"), "\(viaServer.stdout)\(viaServer.stderr)")
        }
    }

    @Test(arguments: StoreKind.available)
    func cuttingOffTheLastEntriesIsCaughtAgainstAPublishedHead(store kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "audit-head")
        defer { directory.remove() }
        let data = directory.file("data")
        var published = ""
        let store = try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            for index in 0..<5 {
                #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":\#(index)}}"#).status == 201)
            }
            let answer = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/audit/verify").body)) as? [String: Any]
            let head = try #require(answer?["head"] as? [String: Any])
            let hash = try #require(head["hash"] as? String)
            #expect(head["seq"] as? Int == 7 && hash.count == 64)
            published = "7:\(hash)"
            // The metrics a Prometheus records carry the head too: its length and the hash's first 48 bits.
            try await Polling.until("the head's metrics are refreshed") {
                let metrics = try await server.get("/metrics").text
                return ExpositionSamples.value(in: metrics, "arbiter_audit_chain_length", [:]) == "7"
                    && ExpositionSamples.value(in: metrics, "arbiter_audit_chain_head_hash_prefix", [:]).flatMap(Double.init)
                        == Double(UInt64(hash.prefix(12), radix: 16)!)
            }
            return server.store
        }
        defer { store.drop() }
        let verify = ["audit", "verify"] + store.commandLineArguments
        // A restart logs the head it found, for whoever keeps the logs.
        try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            let logged = server.logLines.first { $0["msg"] == "audit chain head" }
            #expect(logged?["expect_head"] == published)
        }
        let matching = try await ArbiterServer.run(verify + ["--expect-head", published], in: directory)
        #expect(matching.status == 0 && matching.stdout.contains("entry 7 as expected"), "\(matching.stdout)\(matching.stderr)")
        let shortPrefix = String(published.prefix(2 + 12))
        #expect(try await ArbiterServer.run(verify + ["--expect-head", shortPrefix], in: directory).status == 0)

        // Someone with the database deletes the last entries: what remains is a whole chain.
        try await store.execute("DELETE FROM audit_logs WHERE seq > 7")
        try await store.execute("DELETE FROM audit_logs WHERE seq > 5")
        let unanchored = try await ArbiterServer.run(verify, in: directory)
        #expect(unanchored.status == 0, "a hash chain alone cannot see its tail cut off")
        let anchored = try await ArbiterServer.run(verify + ["--expect-head", published], in: directory)
        #expect(anchored.status == 1)
        #expect(anchored.stdout.contains("ends at entry 5 but entry 7 was expected"), "\(anchored.stdout)")
        // A different chain of the same length is caught by the hash.
        let forged = try await ArbiterServer.run(verify + ["--expect-head", "5:" + String(repeating: "0", count: 64)], in: directory)
        #expect(forged.status == 1 && forged.stdout.contains("the chain was rewritten"), "\(forged.stdout)")
        // And through a server on that store.
        try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            let viaServer = try await ArbiterServer.run(
                ["audit", "verify", "--server", server.baseURL, "--expect-head", published], environment: ["ARBITER_TOKEN": server.adminToken],
                in: directory)
            #expect(viaServer.status == 1 && viaServer.stdout.contains("entries were removed"), "\(viaServer.stdout)\(viaServer.stderr)")
        }
        let malformed = try await ArbiterServer.run(verify + ["--expect-head", "seven"], in: directory)
        #expect(malformed.status != 0 && malformed.stderr.contains("--expect-head"), "\(malformed.stderr)")
    }

    @Test(arguments: StoreKind.available)
    func aChangeWhoseAuditWriteFailsIsNotMade(store: StoreKind) async throws {
        try await ArbiterServer.with(store: store) { server in
            let kept = try JSONSerialization.jsonObject(with: Data(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{}}"#).body))
            let keptID = try #require((kept as? [String: Any])?["id"] as? String)
            // The audit table refuses every insert from now on (as a full disk or a broken file would).
            try await Self.refuseAuditWrites(server.store)

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

            try await Self.allowAuditWrites(server.store)
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{}}"#).status == 201)
            #expect(try await server.get("/api/v1/audit/verify").text.contains(#""intact":true"#))
        }
    }

    /// Makes every insert into the audit table fail from now on.
    static func refuseAuditWrites(_ store: ArbiterServer.Store) async throws {
        switch store.kind {
        case .sqlite:
            try await store.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END")
        case .postgres:
            try await store.execute(
                """
                CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$;
                CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_audit();
                """)
        }
    }

    static func allowAuditWrites(_ store: ArbiterServer.Store) async throws {
        switch store.kind {
        case .sqlite: try await store.execute("DROP TRIGGER refuse_audit")
        case .postgres: try await store.execute("DROP TRIGGER refuse_audit ON audit_logs; DROP FUNCTION refuse_audit()")
        }
    }
}
