import ArbiterTesting
import Foundation
import Testing

/// A job that runs past its timeout is stopped by the worker and fails "timed out after …", while the
/// worker's other slot goes on with jobs that finish in time.
@Suite struct WorkerTimeoutTests {
    let api = JobsAPITests()

    @Test func aJobPastItsTimeoutFailsAndTheOthersFinish() async throws {
        try await ArbiterServer.with { server in
            let worker = try WorkerProcess(server: server, id: "timer", exec: ["slow": "sleep 30", "quick": "true"], concurrency: 2)
            defer { Task { await worker.stop() } }
            let started = ContinuousClock.now
            let (status, slow) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"slow","payload":{},"timeout":"1s","max_attempts":1}"#)
            #expect(status == 201)
            let slowID = try #require(slow["id"] as? String)
            var quick: [String] = []
            for _ in 0..<5 {
                let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"quick","payload":{},"timeout":"30s"}"#)
                quick.append(try #require(job["id"] as? String))
            }
            var last: [String: Any] = [:]
            try await Polling.until("the slow job is dead", timeout: .seconds(30), interval: .milliseconds(100)) {
                (_, last) = try await self.api.get(server, "/api/v1/jobs/\(slowID)")
                return last["state"] as? String == "dead"
            }
            // Not before its second was up, and long before the 30 s the command would have taken.
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect((last["last_error"] as? String)?.hasPrefix("timed out after 1") == true, "\(last)")
            for id in quick {
                try await Polling.until("quick job \(id) succeeds", timeout: .seconds(30), interval: .milliseconds(100)) {
                    try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String == "succeeded"
                }
            }
        }
    }
}
