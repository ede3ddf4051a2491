import ArbiterTesting
import Foundation
import Testing

/// Dry runs end to end with a real `arbiter worker --exec`, whose command reports `$ARBITER_DRY_RUN`:
/// per job and per type, listed and counted apart, audited, and consent-gated like any other job.
@Suite struct DryRunTests {
    static let config = """
        job_types:
          rehearse: {dry_run: true}
          odds: {dry_run: true, requires_consent: odds.read}
        """
    static let report = #"printf '"%s"' "${ARBITER_DRY_RUN:-unset}""#

    func json(_ response: HTTPProbe.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    @Test(arguments: StoreKind.available)
    func theWorkerIsToldAndTheJobIsCountedApart(store kind: StoreKind) async throws {
        try await ArbiterServer.with(config: Self.config, store: kind) { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["mail": Self.report, "rehearse": Self.report], concurrency: 2)
            defer { Task { await worker.stop() } }
            var ids: [String: String] = [:]
            for (name, body) in [
                ("asked", #"{"type":"mail","payload":{},"dry_run":true}"#), ("real", #"{"type":"mail","payload":{}}"#),
                ("typed", #"{"type":"rehearse","payload":{}}"#), ("cannot opt out", #"{"type":"rehearse","payload":{},"dry_run":false}"#),
            ] {
                let created = try await server.post("/api/v1/jobs", json: body)
                #expect(created.status == 201, "\(name): \(created.text)")
                ids[name] = try #require(self.json(created)["id"] as? String)
            }
            var results: [String: String] = [:]
            try await Polling.until("the four jobs ran") {
                for (name, id) in ids where results[name] == nil {
                    let job = self.json(try await server.get("/api/v1/jobs/\(id)"))
                    if job["state"] as? String == "succeeded" { results[name] = job["result"] as? String }
                }
                return results.count == ids.count
            }
            #expect(results == ["asked": "1", "real": "unset", "typed": "1", "cannot opt out": "1"])
            #expect(self.json(try await server.get("/api/v1/jobs/\(ids["asked"]!)"))["dry_run"] as? Bool == true)

            let dry = self.json(try await server.get("/api/v1/jobs?dry_run=true"))["jobs"] as? [[String: Any]] ?? []
            #expect(Set(dry.compactMap { $0["id"] as? String }) == Set([ids["asked"]!, ids["typed"]!, ids["cannot opt out"]!]))
            let real = self.json(try await server.get("/api/v1/jobs?dry_run=false"))["jobs"] as? [[String: Any]] ?? []
            #expect(real.compactMap { $0["id"] as? String } == [ids["real"]!])
            // The console's job list filters the same way and marks dry runs.
            let session = try #require(try await server.consoleSignIn(server.adminToken))
            let page = try await server.get("/console/jobs?dry_run=true", headers: [session.header]).text
            #expect(page.contains(#"<span data-testid="matching">3</span>"#) && !page.contains(ids["real"]!), "\(page)")
            #expect(page.contains("(dry run)") && page.contains(#"<option value="true" selected>"#))
            let consoleReal = try await server.get("/console/jobs?dry_run=false", headers: [session.header]).text
            #expect(consoleReal.contains(ids["real"]!) && !consoleReal.contains(ids["asked"]!))
            let consoleBad = try await server.get("/console/jobs?dry_run=maybe", headers: [session.header])
            #expect(consoleBad.text.contains("dry_run must be true or false"), "\(consoleBad.status) \(consoleBad.text.prefix(300))")
            let badFilter = try await server.get("/api/v1/jobs?dry_run=maybe")
            #expect(badFilter.status == 400 && badFilter.text.contains(#""field":"dry_run""#))
            let badField = try await server.post("/api/v1/jobs", json: #"{"type":"mail","payload":{},"dry_run":"yes"}"#)
            #expect(badField.status == 400 && badField.text.contains(#""field":"dry_run""#), "\(badField.text)")

            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_dry_run_jobs_total{job_type="mail",event="submitted"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"arbiter_dry_run_jobs_total{job_type="rehearse",event="succeeded"} 2"#))
            let audit = try await server.get("/api/v1/audit?subject_id=\(ids["asked"]!)").text
            #expect(audit.contains(#""dry_run":"true""#), "\(audit)")
            // Consent still gates a dry run.
            let gated = try await server.post("/api/v1/jobs", json: #"{"type":"odds","payload":{},"user_id":"u1"}"#)
            #expect(gated.status == 403 && gated.text.contains("consent_required"), "\(gated.text)")
        }
    }
}
