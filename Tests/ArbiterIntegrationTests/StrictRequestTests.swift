import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Input that once slipped through is refused, each with its code and field: JSON that is not RFC 8259
/// JSON, bodies nested past the bound, timestamps of days that do not exist or years past 9999, and
/// fields no route knows.
@Suite struct StrictRequestTests {
    let api = JobsAPITests()

    func jobCount(_ server: ArbiterServer) async throws -> Int {
        ((try await self.api.get(server, "/api/v1/jobs?limit=1000")).1["jobs"] as? [Any])?.count ?? -1
    }

    @Test func bodiesMustBeStrictJSON() async throws {
        try await ArbiterServer.with { server in
            let bodies = [
                #"{"type":"x","payload":1,}"#,
                #"{"type":"x","payload":[1,2,],"tags":["a"]}"#,
                #"{"type":"x","payload":1} // the job"#,
                #"{"type":"x","payload":/* none */1}"#,
                #"{"type":"x","payload":NaN}"#,
                #"{"type":"x","payload":-Infinity}"#,
                #"{'type':'x','payload':1}"#,
                #"{"type":"x","payload":01}"#,
                #"{"type":"x","payload":"tab\#there"}"#,
                #"{"type":"x","payload":"\ud800"}"#,
            ]
            for body in bodies {
                let (status, json) = try await self.api.post(server, "/api/v1/jobs", body)
                #expect(status == 400 && self.api.error(json)["code"] == "invalid_json", "\(body): \(status) \(json)")
                #expect(self.api.error(json)["message"]?.contains("at byte") == true, "\(body): \(json)")
            }
            // Every other JSON reader refuses the same way: batch, cancel, heartbeat, tokens, consents, reports.
            for (path, body) in [
                ("/api/v1/jobs/batch", #"{"jobs":[{"type":"x","payload":1},]}"#),
                ("/api/v1/jobs/some-job/cancel", #"{"reason":"x",}"#),
                ("/api/v1/workers/register", #"{"id":"w1","capabilities":["x"],}"#),
                ("/api/v1/workers/w1/heartbeat", #"{"running":[],}"#),
                ("/api/v1/tokens", #"{"name":"n","role":"viewer",}"#),
                ("/api/v1/consents", #"{"user_id":"u","scope":"s",}"#),
                ("/api/v1/jobs/some-job/complete", #"{"token":"1",}"#),
                ("/api/v1/actions/silences", #"{"action":"shed",}"#),
            ] {
                let (status, json) = try await self.api.post(server, path, body)
                #expect(status == 400 && self.api.error(json)["code"] == "invalid_json", "\(path): \(status) \(json)")
            }
            #expect(try await self.jobCount(server) == 0, "a refused body left a job behind")
            let (accepted, _) = try await self.api.post(server, "/api/v1/jobs", #" { "type" : "x" , "payload" : [1, {"a": null}] } "#)
            #expect(accepted == 201)
        }
    }

    @Test func nestingPastTheBoundIsRefusedNotFatal() async throws {
        try await ArbiterServer.with { server in
            // The bound is 128 levels; ten times that, in a payload, a batch and a report.
            let deep = String(repeating: "[", count: 1280) + String(repeating: "]", count: 1280)
            for (path, body) in [
                ("/api/v1/jobs", #"{"type":"x","payload":\#(deep)}"#),
                ("/api/v1/jobs/batch", #"{"jobs":[{"type":"x","payload":\#(deep)}]}"#),
                ("/api/v1/jobs/some-job/complete", #"{"token":"1","result":\#(deep)}"#),
                ("/api/v1/alertmanager/webhook", #"{"version":"4","alerts":\#(deep)}"#),
            ] {
                let (status, json) = try await self.api.post(server, path, body)
                #expect(status == 400 && self.api.error(json)["code"] == "invalid_json", "\(path): \(status) \(json)")
                #expect(self.api.error(json)["message"]?.contains("deeper than 128 levels") == true, "\(path): \(json)")
            }
            // Just inside the bound is fine.
            let fits = String(repeating: "[", count: 120) + String(repeating: "]", count: 120)
            #expect(try await self.api.post(server, "/api/v1/jobs", #"{"type":"x","payload":\#(fits)}"#).0 == 201)
            #expect(try await server.get("/health").status == 200)
        }
    }

    @Test func timestampsMustExist() async throws {
        try await ArbiterServer.with { server in
            for runAt in ["2026-02-30T00:00:00Z", "2027-02-29T12:00:00Z", "20260-01-01T00:00:00Z", "+12026-01-01T00:00:00Z", "2026-01-01T24:00:00Z",
                          "2026-06-30T23:59:60Z", "2026-01-01T00:00:00", "2026-01-01"] {
                let (status, json) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"x","payload":1,"run_at":"\#(runAt)"}"#)
                #expect(status == 400 && self.api.error(json)["code"] == "invalid_field" && self.api.error(json)["field"] == "run_at", "\(runAt): \(json)")
            }
            let (february, json) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"x","payload":1,"run_at":"2026-02-30T00:00:00Z"}"#)
            #expect(february == 400 && self.api.error(json)["message"]?.contains("February 2026 has no day 30") == true, "\(json)")
            let (batch, batchJSON) = try await self.api.post(
                server, "/api/v1/jobs/batch", #"{"jobs":[{"type":"x","payload":1},{"type":"x","payload":1,"run_at":"2026-04-31T00:00:00Z"}]}"#)
            #expect(batch == 400 && self.api.error(batchJSON)["field"] == "jobs[1].run_at", "\(batchJSON)")
            #expect(try await self.jobCount(server) == 0)

            // A real instant with an offset is the same instant in UTC.
            let (created, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"x","payload":1,"run_at":"2099-01-01T01:00:00.5+01:00"}"#)
            #expect(created == 201 && job["run_at"] as? String == "2099-01-01T00:00:00.500Z", "\(job)")

            for parameter in ["created_after", "created_before"] {
                let (status, json) = try await self.api.get(server, "/api/v1/jobs?\(parameter)=2026-02-30T00:00:00Z")
                #expect(status == 400 && self.api.error(json)["code"] == "invalid_parameter" && self.api.error(json)["field"] == parameter, "\(json)")
            }
            let (auditStatus, auditJSON) = try await self.api.get(server, "/api/v1/audit?since=10000-01-01T00:00:00Z")
            #expect(auditStatus == 400 && self.api.error(auditJSON)["field"] == "since", "\(auditJSON)")
            let (consent, consentJSON) = try await self.api.post(
                server, "/api/v1/consents",
                #"{"user_id":"u","scope":"s","expires_at":"2099-02-29T00:00:00Z","evidence":{"recorded_by":"r","policy_version":"1","source":"t"}}"#)
            #expect(consent == 400 && self.api.error(consentJSON)["field"] == "expires_at", "\(consentJSON)")
            // The Prometheus API refuses it too, as Prometheus does.
            let query = try await server.get("/api/v1/query?query=1&time=2026-02-30T00:00:00Z")
            #expect(query.status == 400 && query.text.contains("bad_data"), "\(query.text)")
            let fine = try await server.get("/api/v1/query?query=1&time=2026-02-28T00:00:00Z")
            #expect(fine.status == 200, "\(fine.text)")
        }
    }

    @Test func unknownFieldsAreRefused() async throws {
        try await ArbiterServer.with { server in
            let (token, tokenJSON) = try await self.api.post(server, "/api/v1/tokens", #"{"name":"grafana","rol":"admin"}"#)
            #expect(token == 400 && self.api.error(tokenJSON)["code"] == "unknown_field" && self.api.error(tokenJSON)["field"] == "rol", "\(tokenJSON)")
            let (_, tokens) = try await self.api.get(server, "/api/v1/tokens")
            #expect(!((tokens["tokens"] as? [[String: Any]]) ?? []).contains { $0["name"] as? String == "grafana" }, "a refused request made a token")

            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"x","payload":1}"#)
            let id = try #require(job["id"] as? String)
            let (cancel, cancelJSON) = try await self.api.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"r","force":true}"#)
            #expect(cancel == 400 && self.api.error(cancelJSON)["code"] == "unknown_field" && self.api.error(cancelJSON)["field"] == "force")
            #expect(try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String == "queued", "a refused cancel cancelled")

            _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w1","capabilities":["x"]}"#)
            let (beat, beatJSON) = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", #"{"runing":[]}"#)
            #expect(beat == 400 && self.api.error(beatJSON)["code"] == "unknown_field" && self.api.error(beatJSON)["field"] == "runing")

            // What the documents name is still accepted.
            #expect(try await self.api.post(server, "/api/v1/tokens", #"{"name":"grafana","role":"viewer"}"#).0 == 201)
            #expect(try await self.api.post(server, "/api/v1/workers/w1/heartbeat", #"{"running":[]}"#).0 == 200)
            #expect(try await self.api.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"r"}"#).0 == 200)
        }
    }
}
