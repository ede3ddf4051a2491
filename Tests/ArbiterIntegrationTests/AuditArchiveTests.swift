import ArbiterTesting
import Foundation
import Testing

/// `arbiter audit archive` against a serving daemon's store, twice, and `arbiter audit verify
/// --archive` over the archives and the store as one chain: directly and through the server; a
/// missing or edited archive is named.
@Suite struct AuditArchiveTests {
    @Test(arguments: StoreKind.available)
    func archivesAndTheStoreVerifyAsOneChain(store kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "audit-archive")
        defer { directory.remove() }
        let data = directory.file("data")
        let (first, second) = (directory.file("first.jsonl"), directory.file("second.jsonl"))
        let store = try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            let target = server.store.commandLineArguments
            for index in 0..<3 { #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":\#(index)}}"#).status == 201) }
            // While the daemon serves: everything so far (token, configuration, 3 jobs).
            let archived = try await ArbiterServer.run(["audit", "archive", "--before", "2100-01-01", "--out", first] + target, in: directory)
            #expect(archived.status == 0 && archived.stdout.hasPrefix("archived entries 1–5 (5) to \(first)"), "\(archived.stdout)\(archived.stderr)")
            let again = try await ArbiterServer.run(["audit", "archive", "--before", "2100-01-01", "--out", first] + target, in: directory)
            #expect(again.status == 1 && again.stderr.contains("exists; an archive is never overwritten"), "\(again.stderr)")
            let badDate = try await ArbiterServer.run(["audit", "archive", "--before", "last week", "--out", second] + target, in: directory)
            #expect(badDate.status != 0 && badDate.stderr.contains("--before"), "\(badDate.stderr)")

            // The daemon goes on writing from the anchor; a second archive takes the next entries.
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":3}}"#).status == 201)
            let more = try await ArbiterServer.run(["audit", "archive", "--before", "2100-01-01", "--out", second] + target, in: directory)
            #expect(more.status == 0 && more.stdout.hasPrefix("archived entries 6–7 (2)"), "\(more.stdout)\(more.stderr)")
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{"n":4}}"#).status == 201)

            let verified = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/audit/verify").body)) as? [String: Any]
            #expect(verified?["intact"] as? Bool == true && verified?["length"] as? Int == 9, "\(String(describing: verified))")
            #expect((verified?["anchor"] as? [String: Any])?["seq"] as? Int == 7)
            let viaServer = try await ArbiterServer.run(
                ["audit", "verify", "--server", server.baseURL, "--archive", second, "--archive", first],
                environment: ["ARBITER_TOKEN": server.adminToken], in: directory)
            #expect(viaServer.status == 0 && viaServer.stdout == "audit chain intact: 9 entries (7 in 2 archives, the rest in the store)\n", "\(viaServer.stdout)\(viaServer.stderr)")
            let audit = try await server.get("/api/v1/audit?action=audit.archived").text
            #expect(audit.contains(#""actor":"cli:"#) && audit.contains("second.jsonl") && audit.contains(#""through_seq":"7""#), "\(audit)")
            return server.store
        }
        defer { store.drop() }
        let target = store.commandLineArguments
        let whole = try await ArbiterServer.run(["audit", "verify", "--archive", first, "--archive", second] + target, in: directory)
        #expect(whole.status == 0 && whole.stdout.hasPrefix("audit chain intact: 9 entries (7 in 2 archives"), "\(whole.stdout)\(whole.stderr)")
        let plain = try await ArbiterServer.run(["audit", "verify"] + target, in: directory)
        #expect(plain.status == 0 && plain.stdout == "audit chain intact: 9 entries (entries up to 7 archived; the store holds the rest)\n", "\(plain.stdout)")

        let missing = try await ArbiterServer.run(["audit", "verify", "--archive", second] + target, in: directory)
        #expect(missing.status == 1 && missing.stdout.contains("entries 1–5 are in none of the archives given"), "\(missing.stdout)")
        let short = try await ArbiterServer.run(["audit", "verify", "--archive", first] + target, in: directory)
        #expect(short.status == 1 && short.stdout.contains("entries 6–7 are in none of the archives given"), "\(short.stdout)")
        let text = try String(contentsOfFile: first, encoding: .utf8)
        try text.replacingOccurrences(of: #""action":"job.submitted""#, with: #""action":"job.cancelled""#).write(toFile: first, atomically: true, encoding: .utf8)
        let edited = try await ArbiterServer.run(["audit", "verify", "--archive", first, "--archive", second] + target, in: directory)
        #expect(edited.status == 1 && edited.stdout.contains("first.jsonl line 3: entry 3's contents do not match its hash (edited)"), "\(edited.stdout)")
    }
}
