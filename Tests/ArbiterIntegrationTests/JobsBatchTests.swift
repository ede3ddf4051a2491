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
            try await Polling.until("the delayed job is queued", timeout: .seconds(15), interval: .milliseconds(100)) {
                try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String == "queued"
            }
        }
    }
}

/// `/api/v1/job-types`: policy, paused flag and counts, with the pause lever reflected in metrics.
@Suite struct JobTypesAPITests {
    let api = JobsAPITests()

    @Test func pauseShowsInTheListingAndTheMetrics() async throws {
        try await ArbiterServer.with(config: "job_types:\n  email:\n    concurrency: 4\n") { server in
            _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"email","payload":1}"#)
            _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"sms","payload":1}"#)
            let (paused, pausedBody) = try await self.api.post(server, "/api/v1/job-types/email/pause", "")
            #expect(paused == 200 && pausedBody["paused"] as? Bool == true)
            let (_, listing) = try await self.api.get(server, "/api/v1/job-types")
            let types = (listing["job_types"] as? [[String: Any]]) ?? []
            #expect(types.compactMap { $0["type"] as? String } == ["email", "sms"])
            let email = types.first { $0["type"] as? String == "email" } ?? [:]
            #expect(email["paused"] as? Bool == true && email["configured"] as? Bool == true)
            #expect((email["policy"] as? [String: Any])?["concurrency"] as? Int == 4)
            #expect((email["counts"] as? [String: Int])?["queued"] == 1)
            var metrics = ""
            try await Polling.until("/metrics shows email paused", timeout: .seconds(15), interval: .milliseconds(100)) {
                metrics = try await server.get("/metrics").text
                return ExpositionSamples.value(in: metrics, "arbiter_job_type_paused", ["job_type": "email"]) == "1"
            }
            #expect(ExpositionSamples.value(in: metrics, "arbiter_jobs", ["job_type": "sms", "state": "queued"]) == "1")
            let (resumed, resumedBody) = try await self.api.post(server, "/api/v1/job-types/email/resume", "")
            #expect(resumed == 200 && resumedBody["paused"] as? Bool == false)
            let (bad, _) = try await self.api.post(server, "/api/v1/job-types/bad%20name/pause", "")
            #expect(bad == 400)
        }
    }
}
