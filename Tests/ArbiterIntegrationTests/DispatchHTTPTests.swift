import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// The plain-HTTP dispatch path: long-poll leases, fenced reports, and a presumed-dead worker that
/// cannot overwrite the next attempt's outcome.
@Suite struct DispatchHTTPTests {
    let api = JobsAPITests()

    func lease(_ server: ArbiterServer, _ worker: String, wait: String = "0s") async throws -> [[String: Any]] {
        let (status, body) = try await self.api.post(server, "/api/v1/workers/\(worker)/lease?wait=\(wait)", "")
        #expect(status == 200, "\(body)")
        return body["jobs"] as? [[String: Any]] ?? []
    }

    func token(_ assignment: [String: Any]) -> String { (assignment["lease"] as? [String: Any])?["token"] as? String ?? "" }

    @Test func leaseReportAndFencing() async throws {
        // Long enough that worker a's lease outlives the gap between its two polls, and b's the few
        // requests below, on a busy machine (a 5 s lease once expired between a's two polls in CI).
        // Workers stay online for a minute, so only the lease's expiry can requeue the job in time.
        try await ArbiterServer.with(config: "workers:\n  lease_timeout: 10s\n  timeout: 60s\n") { server in
            for worker in ["a", "b"] {
                _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"\#(worker)","capabilities":["email"],"concurrency":1}"#)
            }
            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"email","payload":{"n":1},"max_attempts":3}"#)
            let id = try #require(job["id"] as? String)

            let first = try await self.lease(server, "a", wait: "2s")
            let leasedAt = ContinuousClock.now
            #expect(first.count == 1 && first.first?["id"] as? String == id && first.first?["attempt"] as? Int == 1)
            let staleToken = self.token(first[0])
            let more = try await self.lease(server, "a")
            #expect(more.isEmpty, "a worker at its concurrency got more work \(ContinuousClock.now - leasedAt) after its lease")

            // Worker a goes quiet past its lease; the clock requeues the job and worker b takes it.
            var second: [[String: Any]] = []
            // Within 30 s: a server that requeued only once worker a went offline (60 s) would miss it.
            let deadline = ContinuousClock.now + .seconds(30)
            while second.isEmpty && ContinuousClock.now < deadline {
                second = try await self.lease(server, "b", wait: "1s")
            }
            #expect(second.first?["id"] as? String == id && second.first?["attempt"] as? Int == 2)
            let (_, holder) = try await self.api.get(server, "/api/v1/workers/b")
            #expect(((holder["leases"] as? [[String: Any]]) ?? []).compactMap { $0["job_id"] as? String } == [id])
            #expect(holder["state"] as? String == "busy")

            let (late, lateBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/complete", #"{"token":"\#(staleToken)","result":{"from":"a"}}"#)
            #expect(late == 409 && self.api.error(lateBody)["code"] == "stale_lease")
            let (progress, _) = try await self.api.post(server, "/api/v1/jobs/\(id)/progress", #"{"token":"\#(self.token(second[0]))"}"#)
            #expect(progress == 200)
            let (done, doneBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/complete", #"{"token":"\#(self.token(second[0]))","result":{"from":"b"}}"#)
            #expect(done == 200 && doneBody["state"] as? String == "succeeded")

            let (_, final) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect((final["result"] as? [String: Any])?["from"] as? String == "b")
            let attempts = (final["attempts"] as? [[String: Any]]) ?? []
            #expect(attempts.compactMap { $0["outcome"] as? String } == ["lease_expired", "succeeded"])
            #expect(attempts.compactMap { $0["worker_id"] as? String } == ["a", "b"])

            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_job_attempts_total", ["job_type": "email"]) == "2")
            #expect(ExpositionSamples.value(in: metrics, "arbiter_job_attempts_failed_total", ["job_type": "email"]) == "1")
            #expect(ExpositionSamples.value(in: metrics, "arbiter_leases_expired_total", ["job_type": "email"]) == "1")
            #expect(ExpositionSamples.value(in: metrics, "arbiter_jobs_finished_total", ["job_type": "email", "outcome": "succeeded"]) == "1")
        }
    }

    @Test func aFailureIsRetriedWithBackoff() async throws {
        try await ArbiterServer.with { server in
            _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w","capabilities":["email"]}"#)
            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"email","payload":1,"backoff":{"initial":"1s","max":"1s"}}"#)
            let id = try #require(job["id"] as? String)
            let leased = try await self.lease(server, "w", wait: "2s")
            let (missingError, missingBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/fail", #"{"token":"\#(self.token(leased[0]))"}"#)
            #expect(missingError == 400 && self.api.error(missingBody)["field"] == "error")
            let (failed, failedBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/fail", #"{"token":"\#(self.token(leased[0]))","error":"smtp down"}"#)
            #expect(failed == 200 && failedBody["state"] as? String == "scheduled" && failedBody["last_error"] as? String == "smtp down")
            let (badToken, badTokenBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/complete", #"{"token":12}"#)
            #expect(badToken == 400 && self.api.error(badTokenBody)["field"] == "token")
        }
    }

    @Test func aCancelReachesAnHTTPWorkerAndItsReportIsRefused() async throws {
        try await ArbiterServer.with { server in
            _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"h1","capabilities":["sms"],"concurrency":2}"#)
            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"sms","payload":{}}"#)
            let id = try #require(job["id"] as? String)
            let leased = try await self.lease(server, "h1", wait: "2s")
            #expect(leased.first?["id"] as? String == id)
            let (cancelled, _) = try await self.api.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"customer left"}"#)
            #expect(cancelled == 200)

            // The next heartbeat carries the notice, once.
            let (_, beat) = try await self.api.post(server, "/api/v1/workers/h1/heartbeat", #"{"running":["\#(id)"]}"#)
            let notices = (beat["cancel"] as? [[String: Any]]) ?? []
            #expect(notices.count == 1 && notices.first?["job_id"] as? String == id && notices.first?["reason"] as? String == "customer left")
            let (_, again) = try await self.api.post(server, "/api/v1/workers/h1/heartbeat", "")
            #expect(((again["cancel"] as? [Any]) ?? [1]).isEmpty)

            let (late, lateBody) = try await self.api.post(server, "/api/v1/jobs/\(id)/complete", #"{"token":"\#(self.token(leased[0]))"}"#)
            #expect(late == 409 && self.api.error(lateBody)["code"] == "job_cancelled")
            let (_, final) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect(final["state"] as? String == "cancelled")
        }
    }
}
