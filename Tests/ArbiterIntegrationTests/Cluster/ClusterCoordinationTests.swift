import ArbiterCore
import ArbiterTesting
import Foundation
import Testing

/// What Redis carries between replicas: a cancel made on one reaches a worker connected to another;
/// and with Redis down the replicas serve on from PostgreSQL (only presence and fan-out degrade),
/// coordination coming back by itself with Redis. Prints what it measured.
@Suite(.serialized, .heavy) struct ClusterCoordinationTests {
    @Test("a cancel on r2 reaches the worker connected to r1 (prints the latencies)", .enabled(if: ClusterFixture.canRun))
    func aCancelReachesAWorkerOnAnotherReplica() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            let worker = try await cluster.worker("held", on: [0], exec: ["t": "sleep 60"])
            var latencies: [Duration] = []
            for _ in 0..<10 {
                let id = try await cluster.submit(on: 1)
                try await cluster.waitForState(id, "running", on: 1)
                let cancelled = ContinuousClock.now
                #expect(try await cluster.servers[1].post("/api/v1/jobs/\(id)/cancel", json: #"{"reason":"fan-out"}"#, token: cluster.token).status == 200)
                try await Polling.until("the worker on r1 is told", timeout: .seconds(10), interval: .milliseconds(2)) {
                    worker.process.stderr.contains("\"job_id\":\"\(id)\"") && worker.logLines.contains { $0["msg"] == "job cancelled by the server" && $0["job_id"] == id }
                }
                latencies.append(ContinuousClock.now - cancelled)
            }
            await worker.stop()
            let sorted = latencies.sorted()
            print("cancel on r2 → worker on r1: p50 \(sorted[sorted.count / 2]), max \(sorted.last!) over \(sorted.count)")
            let metrics = try await cluster.servers[0].send("/metrics", token: cluster.token).text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_cluster_cancel_notices_total", ["direction": "delivered"]) == "10")
        }
    }

    @Test("a pause posted on r2 holds for a worker on r1, and a resume on r2 starts its job within 100 ms at p99 (prints the latencies)", .enabled(if: ClusterFixture.canRun))
    func aPauseAndAResumeReachAnotherReplica() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            let worker = try await cluster.worker("steady", on: [0], exec: ["t": "true"])
            let samples = 100
            var latencies: [Int64] = []
            for _ in 0..<samples {
                #expect(try await cluster.servers[1].post("/api/v1/job-types/t/pause", json: "", token: cluster.token).status == 200)
                let id = try await cluster.submit(on: 0)
                let resumed = WallClock.nowMilliseconds()
                #expect(try await cluster.servers[1].post("/api/v1/job-types/t/resume", json: "", token: cluster.token).status == 200)
                try await cluster.waitForState(id, "succeeded", on: 0)
                // Leased after the resume, in the audit chain's order: the pause held on r1 while the job
                // waited. (The lease's time is stamped as its request is made, which a wake-up from the
                // submission can make a few ms before the resume commits.)
                let order = try await cluster.store.rows(
                    "SELECT action FROM audit_logs WHERE (action = 'job.leased' AND subject_id = '\(id)') OR action = 'job_type.resumed' ORDER BY seq DESC LIMIT 2")
                #expect(order.map { $0.first } == ["job.leased", "job_type.resumed"], "job \(id): \(order)")
                let started = try #require(Int64(try await cluster.store.rows("SELECT started_at FROM job_attempts WHERE job_id = '\(id)'").first?.first ?? ""))
                latencies.append(max(started - resumed, 0))
            }
            await worker.stop()
            let sorted = latencies.sorted()
            let p99 = sorted[Int((Double(samples) * 0.99).rounded(.up)) - 1]
            print("resume on r2 → job leased to the worker on r1: p50 \(sorted[samples / 2]) ms, p99 \(p99) ms, max \(sorted.last ?? 0) ms over \(samples)")
            #expect(p99 <= 100, "a resume reached the other replica's dispatch in \(p99) ms at p99")
        }
    }

    @Test("a cancel on r2 reaches an HTTP worker polling r1 at its next heartbeat, before it reports", .enabled(if: ClusterFixture.canRun))
    func aCancelReachesAPollingWorkerOnAnotherReplica() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            func post(_ index: Int, _ path: String, _ body: String = "") async throws -> [String: Any] {
                let answer = try await cluster.servers[index].post(path, json: body, token: cluster.token)
                #expect(answer.status == 200 || answer.status == 201, "\(path): \(answer.text)")
                return try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] ?? [:]
            }
            _ = try await post(0, "/api/v1/workers/register", #"{"id":"poller","capabilities":["t"],"concurrency":1}"#)
            let id = try await cluster.submit(on: 0)
            let leased = try await post(0, "/api/v1/workers/poller/lease?wait=5s")["jobs"] as? [[String: Any]] ?? []
            #expect(leased.first?["id"] as? String == id)
            #expect(try await cluster.servers[1].post("/api/v1/jobs/\(id)/cancel", json: #"{"reason":"polling"}"#, token: cluster.token).status == 200)
            try await Polling.until("r1's heartbeat answer names the cancelled job", timeout: .seconds(10), interval: .milliseconds(20)) {
                let cancels = try await post(0, "/api/v1/workers/poller/heartbeat")["cancel"] as? [[String: Any]] ?? []
                return cancels.contains { $0["job_id"] as? String == id }
            }
        }
    }

    @Test("with Redis halted jobs still flow between replicas; presence says unreachable, then ok again after a restart", .enabled(if: ClusterFixture.canRun))
    func replicasServeThroughARedisOutage() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            func coordination() async throws -> (String, Int) {
                let answer = try await cluster.json(1, "/api/v1/cluster")
                return (answer["coordination"] as? String ?? "", (answer["replicas"] as? [Any])?.count ?? 0)
            }
            try await Polling.until("both replicas listed", timeout: .seconds(30)) { try await coordination() == ("ok", 2) }
            let worker = try await cluster.worker("steady", on: [0], exec: ["t": "true"], concurrency: 2)

            let started = ContinuousClock.now
            await cluster.redis.halt()
            try await Polling.until("presence says unreachable", timeout: .seconds(30)) { try await coordination().0 == "unreachable" }
            let noticed = ContinuousClock.now - started
            var ids: [String] = []
            for _ in 0..<20 { ids.append(try await cluster.submit(on: 1)) }
            for id in ids { try await cluster.waitForState(id, "succeeded", on: 1, timeout: .seconds(60)) }

            let restarted = ContinuousClock.now
            try await cluster.redis.restart()
            try await Polling.until("coordination is back", timeout: .seconds(60)) { try await coordination() == ("ok", 2) }
            await worker.stop()
            print("Redis outage: noticed after \(noticed); 20 jobs ran across replicas meanwhile; coordination back \(ContinuousClock.now - restarted) after the restart")
        }
    }
}
