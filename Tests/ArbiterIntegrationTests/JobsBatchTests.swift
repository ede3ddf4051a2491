import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Batch submission is all or nothing; the job clock queues delayed jobs when their time comes.
@Suite struct JobsBatchTests {
    let api = JobsAPITests()

    func count(_ server: ArbiterServer) async throws -> Int {
        let (_, list) = try await self.api.get(server, "/api/v1/jobs")
        return (list["jobs"] as? [[String: Any]])?.count ?? -1
    }

    @Test func aBatchIsStoredWhole() async throws {
        try await ArbiterServer.with(config: "limits:\n  max_batch_jobs: 3\n") { server in
            let (invalid, invalidBody) = try await self.api.post(
                server, "/api/v1/jobs/batch", #"{"jobs":[{"type":"a","payload":1},{"payload":2}]}"#)
            #expect(invalid == 400 && self.api.error(invalidBody)["field"] == "jobs[1].type")
            #expect(try await self.count(server) == 0)

            let (tooMany, tooManyBody) = try await self.api.post(
                server, "/api/v1/jobs/batch", #"{"jobs":[{"type":"a","payload":1},{"type":"a","payload":2},{"type":"a","payload":3},{"type":"a","payload":4}]}"#)
            #expect(tooMany == 413 && self.api.error(tooManyBody)["message"]?.contains("the limit is 3") == true)

            let (created, createdBody) = try await self.api.post(
                server, "/api/v1/jobs/batch", #"{"jobs":[{"type":"a","payload":1,"idempotency_key":"k"},{"type":"b","payload":2}]}"#)
            #expect(created == 201 && (createdBody["jobs"] as? [[String: Any]])?.count == 2)

            let (conflict, conflictBody) = try await self.api.post(
                server, "/api/v1/jobs/batch", #"{"jobs":[{"type":"c","payload":3},{"type":"a","payload":9,"idempotency_key":"k"}]}"#)
            #expect(conflict == 409 && self.api.error(conflictBody)["field"] == "jobs[1].idempotency_key")
            #expect(try await self.count(server) == 2, "the conflicting batch's first job was stored")
        }
    }

    @Test func delayedJobsAreQueuedWhenTheirTimeComes() async throws {
        try await ArbiterServer.with { server in
            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"later","payload":{},"delay":"1s"}"#)
            let id = try #require(job["id"] as? String)
            #expect(job["state"] as? String == "scheduled")
            let deadline = ContinuousClock.now + .seconds(5)
            var state = ""
            while ContinuousClock.now < deadline {
                state = (try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String) ?? ""
                if state == "queued" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "queued")
        }
    }
}
