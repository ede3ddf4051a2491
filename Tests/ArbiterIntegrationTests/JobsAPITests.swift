import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// The jobs API on a real `arbiter serve` with its SQLite store.
@Suite struct JobsAPITests {
    typealias JSON = [String: Any]

    func post(_ server: ArbiterServer, _ path: String, _ body: String) async throws -> (Int, JSON) {
        let response = try await server.send(path, method: .POST, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? JSON ?? [:])
    }

    func get(_ server: ArbiterServer, _ path: String) async throws -> (Int, JSON) {
        let response = try await server.get(path)
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? JSON ?? [:])
    }

    func error(_ json: JSON) -> [String: String] { json["error"] as? [String: String] ?? [:] }

    @Test func submitGetCancelRetry() async throws {
        try await ArbiterServer.with(config: "job_types:\n  email:\n    max_attempts: 7\n    timeout: 45s\n") { server in
            let (status, job) = try await self.post(server, "/api/v1/jobs", #"{"type":"email","payload":{"to":"a@example.com"},"priority":5,"tags":["vip"]}"#)
            #expect(status == 201)
            let id = try #require(job["id"] as? String)
            #expect(job["state"] as? String == "queued")
            #expect(job["max_attempts"] as? Int == 7 && job["timeout"] as? String == "45s")
            #expect((job["payload"] as? JSON)?["to"] as? String == "a@example.com")
            let (found, fetched) = try await self.get(server, "/api/v1/jobs/\(id)")
            #expect(found == 200 && fetched["id"] as? String == id && fetched["priority"] as? Int == 5)
            #expect((fetched["attempts"] as? [Any])?.isEmpty == true)

            let (delayedStatus, delayed) = try await self.post(server, "/api/v1/jobs", #"{"type":"email","payload":null,"delay":"1h"}"#)
            #expect(delayedStatus == 201 && delayed["state"] as? String == "scheduled")

            let (cancelled, cancelledJob) = try await self.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"changed my mind"}"#)
            #expect(cancelled == 200 && cancelledJob["state"] as? String == "cancelled" && cancelledJob["cancel_reason"] as? String == "changed my mind")
            let (again, againBody) = try await self.post(server, "/api/v1/jobs/\(id)/cancel", "")
            #expect(again == 409 && self.error(againBody)["code"] == "illegal_transition")
            let (retried, retriedJob) = try await self.post(server, "/api/v1/jobs/\(id)/retry", "")
            #expect(retried == 200 && retriedJob["state"] as? String == "queued")
            let (missing, missingBody) = try await self.get(server, "/api/v1/jobs/0000")
            #expect(missing == 404 && self.error(missingBody)["code"] == "not_found")
        }
    }

    @Test func idempotencyKeys() async throws {
        try await ArbiterServer.with { server in
            let body = #"{"type":"email","payload":{"n":1},"idempotency_key":"order-42"}"#
            let (first, original) = try await self.post(server, "/api/v1/jobs", body)
            let (second, repeated) = try await self.post(server, "/api/v1/jobs", body)
            #expect(first == 201 && second == 200 && original["id"] as? String == repeated["id"] as? String)
            let (conflict, conflictBody) = try await self.post(server, "/api/v1/jobs", #"{"type":"email","payload":{"n":2},"idempotency_key":"order-42"}"#)
            #expect(conflict == 409)
            #expect(self.error(conflictBody)["code"] == "idempotency_conflict" && self.error(conflictBody)["field"] == "idempotency_key")
            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_jobs_submitted_total", ["job_type": "email"]) == "1")
        }
    }

    @Test func badSubmissionsNameTheField() async throws {
        try await ArbiterServer.with { server in
            let cases: [(String, Int, String, String?)] = [
                ("not json", 400, "invalid_json", nil),
                (#"{"payload":{}}"#, 400, "invalid_field", "type"),
                (#"{"type":"has space","payload":{}}"#, 400, "invalid_field", "type"),
                (#"{"type":"email"}"#, 400, "invalid_field", "payload"),
                (#"{"type":"email","payload":{},"colour":"red"}"#, 400, "unknown_field", "colour"),
                (#"{"type":"email","payload":{},"max_attempts":0}"#, 400, "invalid_field", "max_attempts"),
                (#"{"type":"email","payload":{},"max_attempts":true}"#, 400, "invalid_field", "max_attempts"),
                (#"{"type":"email","payload":{},"delay":"soon"}"#, 400, "invalid_field", "delay"),
                (#"{"type":"email","payload":{},"run_at":"yesterday"}"#, 400, "invalid_field", "run_at"),
                (#"{"type":"email","payload":{},"run_at":"2026-01-01T00:00:00Z","delay":"1s"}"#, 400, "invalid_field", "delay"),
                (#"{"type":"email","payload":{},"tags":[1]}"#, 400, "invalid_field", "tags"),
                (#"{"type":"email","payload":"\#(String(repeating: "x", count: 1_100_000))"}"#, 413, "payload_too_large", "payload"),
            ]
            for (body, status, code, field) in cases {
                let (got, json) = try await self.post(server, "/api/v1/jobs", body)
                let error = self.error(json)
                #expect(got == status, "\(body.prefix(80)): \(got) \(error)")
                #expect(error["code"] == code, "\(body.prefix(80)): \(error)")
                #expect(error["field"] == field, "\(body.prefix(80)): \(error)")
                #expect(error["message"]?.isEmpty == false && error["request_id"]?.isEmpty == false)
            }
            let (_, list) = try await self.get(server, "/api/v1/jobs")
            #expect((list["jobs"] as? [JSON])?.isEmpty == true, "a refused submission left a job behind")
        }
    }

    @Test func listingFiltersAndPages() async throws {
        try await ArbiterServer.with { server in
            var ids: [String] = []
            for index in 0..<5 {
                let (_, job) = try await self.post(server, "/api/v1/jobs", #"{"type":"\#(index < 3 ? "email" : "sms")","payload":\#(index)}"#)
                ids.append(job["id"] as? String ?? "")
            }
            let (_, firstPage) = try await self.get(server, "/api/v1/jobs?type=email&limit=2")
            #expect(((firstPage["jobs"] as? [JSON]) ?? []).compactMap { $0["id"] as? String } == Array(ids[0..<2]))
            let cursor = try #require(firstPage["next_cursor"] as? String)
            let (_, secondPage) = try await self.get(server, "/api/v1/jobs?type=email&limit=2&cursor=\(cursor)")
            #expect(((secondPage["jobs"] as? [JSON]) ?? []).compactMap { $0["id"] as? String } == [ids[2]])
            #expect(secondPage["next_cursor"] is NSNull)
            let (bad, badBody) = try await self.get(server, "/api/v1/jobs?state=sleeping")
            #expect(bad == 400 && self.error(badBody)["field"] == "state")
        }
    }

    @Test func acceptedJobsSurviveARestart() async throws {
        let directory = try TemporaryDirectory(prefix: "restart")
        defer { directory.remove() }
        let data = directory.file("data")
        let id = try await ArbiterServer.with(dataDirectory: data) { server in
            let (_, job) = try await self.post(server, "/api/v1/jobs", #"{"type":"email","payload":{"keep":true}}"#)
            return job["id"] as? String ?? ""
        }
        try await ArbiterServer.with(dataDirectory: data) { server in
            let (status, job) = try await self.get(server, "/api/v1/jobs/\(id)")
            #expect(status == 200 && (job["payload"] as? JSON)?["keep"] as? Bool == true)
        }
    }
}
