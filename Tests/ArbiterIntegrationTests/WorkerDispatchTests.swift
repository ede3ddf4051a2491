import ArbiterTesting
import Foundation
import Testing

/// Slots refill at once: a single-slot worker drains a backlog at the pace of its jobs, not of the
/// job clock, and a worker whose leases all ran out is given work again.
@Suite(.heavy) struct WorkerDispatchTests {
    let api = JobsAPITests()

    @Test func aSingleSlotWorkerDrainsABacklogAtThePaceOfItsJobs() async throws {
        try await ArbiterServer.with { server in
            // The backlog waits before the worker connects.
            for _ in 0..<2 {
                let jobs = (0..<100).map { #"{"type":"echo","payload":{"n":\#($0)}}"# }.joined(separator: ",")
                let (status, body) = try await self.api.post(server, "/api/v1/jobs/batch", #"{"jobs":[\#(jobs)]}"#)
                #expect(status == 201, "\(body)")
            }
            let started = ContinuousClock.now
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["echo": "/bin/cat"])
            defer { Task { await worker.stop() } }
            // Each job runs for milliseconds: a slot refilled only at the clock's tick (1 s) or the
            // dispatch loop's timeout would take minutes for 200 (about 2 a second at best); 60 s asks
            // for more than 3 a second, which leaves a loaded machine room.
            try await Polling.until("200 jobs are done", timeout: .seconds(60), interval: .milliseconds(200)) {
                try await JobCounts.fetch(server, type: "echo")["succeeded"] == 200
            }
            let seconds = Double((ContinuousClock.now - started).components.seconds)
            print("a single-slot worker ran 200 jobs in about \(seconds) s")
        }
    }

    @Test func aWorkerWhoseLeasesAllRanOutIsToldAndGivenWorkAgain() async throws {
        // Leases run out after 2 s without a heartbeat; the worker itself stays online.
        try await ArbiterServer.with(config: "workers:\n  lease_timeout: 2s\n  timeout: 60s\n") { server in
            let (_, created) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{},"max_attempts":2}"#)
            let id = try #require(created["id"] as? String)
            let socket = WorkerSocket(server, workerID: "w1")
            defer { Task { await socket.close() } }
            try await socket.hello(capabilities: ["mail"], concurrency: 1)
            let firstAssign = try await socket.next { $0["type"] as? String == "assign" }
            let first = try #require(firstAssign["job"] as? [String: Any])
            #expect(first["job_id"] as? String == id && first["attempt"] as? Int == 1)
            // The worker never heartbeats: the lease that fills its only slot runs out. It is told to
            // stop; a worker that let a lease run out may have stalled, so it gets no work until it next
            // speaks, and then its free slot takes the job's next attempt.
            let cancel = try await socket.next { $0["type"] as? String == "cancel" }
            #expect(cancel["job_id"] as? String == id && cancel["reason"] as? String == "lease expired")
            try await socket.send(#"{"type":"heartbeat"}"#)
            let secondAssign = try await socket.next(after: 1) { $0["type"] as? String == "assign" }
            let second = try #require(secondAssign["job"] as? [String: Any])
            #expect(second["job_id"] as? String == id && second["attempt"] as? Int == 2)
            #expect(second["lease_token"] as? String != first["lease_token"] as? String)
            // The last attempt runs out too: the job is dead, and the free slot takes new work.
            let last = try await socket.next(after: 1) { $0["type"] as? String == "cancel" }
            #expect(last["job_id"] as? String == id)
            try await socket.send(#"{"type":"heartbeat"}"#)
            let (_, dead) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect(dead["state"] as? String == "dead")
            let (_, other) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{}}"#)
            let otherID = try #require(other["id"] as? String)
            _ = try await socket.next { ($0["job"] as? [String: Any])?["job_id"] as? String == otherID }
        }
    }
}
