import ArbiterTesting
import Foundation
import Testing

/// The limits a job type sets hold across replicas, each with a worker of its own: a `rate` (the
/// replicas take starts from one bucket in Redis) and a `concurrency` (counted by the store under its
/// lock). Prints what it measured.
@Suite(.serialized, .heavy) struct ClusterLimitTests {
    /// Starts of the jobs of `type` (ms), the earliest first, and the workers that ran them.
    static func starts(_ cluster: ClusterFixture, type: String) async throws -> (at: [Int64], workers: Set<String>) {
        let rows = try await cluster.store.rows(
            "SELECT a.started_at, a.worker_id FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.type = '\(type)' ORDER BY a.started_at")
        return (rows.compactMap { Int64($0[0]) }, Set(rows.map { $0[1] }))
    }

    /// A worker of 4 slots on each replica running `exec` for type `t`, and `jobs` jobs of it
    /// submitted at once on replica `index`.
    static func backlog(_ cluster: ClusterFixture, jobs: Int, exec: String, on index: Int) async throws -> [WorkerProcess] {
        var workers: [WorkerProcess] = []
        for replica in 0..<3 { workers.append(try await cluster.worker("w\(replica + 1)", on: [replica], exec: ["t": exec], concurrency: 4)) }
        let body = "{\"jobs\":[" + (0..<jobs).map { #"{"type":"t","payload":{"n":\#($0)}}"# }.joined(separator: ",") + "]}"
        #expect(try await cluster.servers[index].post("/api/v1/jobs/batch", json: body, token: cluster.token, timeout: ClusterFaultTests.batchTimeout).status == 201)
        return workers
    }

    @Test("a rate of 30/s holds within 5% across three replicas, each with a worker (prints the rate)", .enabled(if: ClusterFixture.canRun))
    func aRateHoldsAcrossReplicas() async throws {
        let rate = 30.0
        let jobs = 420
        try await ClusterFixture.with(replicas: 3, extra: "job_types:\n  t: {rate: 30/s}") { cluster in
            let workers = try await Self.backlog(cluster, jobs: jobs, exec: "true", on: 0)
            try await Polling.until("every job ran", timeout: .seconds(120), interval: .milliseconds(500)) {
                try await cluster.store.count("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'") == jobs
            }
            for worker in workers { await worker.stop() }

            let (starts, by) = try await Self.starts(cluster, type: "t")
            #expect(starts.count == jobs)
            #expect(by.count == 3, "every replica's worker ran some: \(by.sorted())")
            // A full bucket (one period's 30) goes at once; every start after comes at the rate.
            let span = Double(starts.last! - starts.first!) / 1000
            let measured = Double(jobs - Int(rate)) / span
            print("rate 30/s over 3 replicas: \(jobs) starts in \(span) s, \(String(format: "%.2f", measured))/s after the first full bucket")
            // Never more than 5% over the cap: each replica on a bucket of its own would start 90/s.
            // Under the cap only where the machine cannot start jobs that fast (a CI run's first
            // minute measured 22.8/s): the lower bound only catches starts lost by the limiter.
            #expect(measured <= rate * 1.05 && measured >= rate * 0.5, "measured \(measured)/s against 30/s")
        }
    }

    @Test("through a Redis restart the replicas start at their share of 30/s, then at 30/s together again (prints the rates)", .enabled(if: ClusterFixture.canRun))
    func aRateHoldsThroughARedisRestart() async throws {
        let jobs = 600
        try await ClusterFixture.with(replicas: 3, extra: "job_types:\n  t: {rate: 30/s}") { cluster in
            let workers = try await Self.backlog(cluster, jobs: jobs, exec: "true", on: 0)
            let succeeded = "SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'"
            try await Polling.until("150 jobs ran", timeout: .seconds(60), interval: .milliseconds(100)) { try await cluster.store.count(succeeded) >= 150 }
            let halted = Int64(Date().timeIntervalSince1970 * 1000)
            await cluster.redis.halt()
            try await Polling.until("150 more ran without Redis", timeout: .seconds(60), interval: .milliseconds(100)) {
                try await cluster.store.count(succeeded) >= 300
            }
            let restarted = Int64(Date().timeIntervalSince1970 * 1000)
            try await cluster.redis.restart()
            // Shared again once every replica has taken from Redis (after its reconnect and probe).
            try await Polling.until("every replica takes from the shared buckets again", timeout: .seconds(30), interval: .milliseconds(50)) {
                var shared = 0
                for server in cluster.servers {
                    let metrics = try await server.send("/metrics", token: cluster.token).text
                    if ExpositionSamples.value(in: metrics, "arbiter_cluster_rate_limit_degraded") == "0" { shared += 1 }
                }
                return shared == cluster.servers.count
            }
            let sharedAgain = Int64(Date().timeIntervalSince1970 * 1000)
            try await Polling.until("every job ran", timeout: .seconds(120), interval: .milliseconds(500)) { try await cluster.store.count(succeeded) == jobs }
            for worker in workers { await worker.stop() }

            let starts = try await Self.starts(cluster, type: "t").at
            // Starts per second within [from, to), leaving out the first `settle` ms (a bucket starting full).
            func rate(_ from: Int64, _ to: Int64, settle: Int64) -> Double {
                let window = starts.filter { $0 >= from + settle && $0 < to }
                guard window.count > 1 else { return 0 }
                return Double(window.count - 1) / (Double(window.last! - window.first!) / 1000)
            }
            let before = rate(starts.first!, halted, settle: 1000)
            let during = rate(halted, restarted, settle: 1000)
            // The shared bucket starts full again after the restart (Redis kept nothing): 1 s of it,
            // and what the replicas held back while they waited.
            let after = rate(sharedAgain, starts.last! + 1, settle: 1500)
            print(String(format: "rate 30/s through a Redis restart: %.1f/s before, %.1f/s without Redis (each replica its third), %.1f/s once shared again (%d ms after the restart)", before, during, after, sharedAgain - restarted))
            // Over the rate is wrong (each replica on a bucket of its own would start 90/s); under it,
            // on a loaded machine, is the machine.
            #expect(after <= 33 && after >= 15, "once shared again: \(after)/s")
            #expect(during <= 33 && during >= 15, "without Redis the replicas together stay at the rate: \(during)/s")
        }
    }

    @Test("a concurrency of 3 holds across three replicas with 12 slots between them", .enabled(if: ClusterFixture.canRun))
    func concurrencyHoldsAcrossReplicas() async throws {
        let jobs = 30
        try await ClusterFixture.with(replicas: 3, extra: "job_types:\n  t: {concurrency: 3}") { cluster in
            let workers = try await Self.backlog(cluster, jobs: jobs, exec: "sleep 0.5", on: 1)
            // What the store holds running, read again and again while the jobs run (the attempts'
            // own start and end stamps are taken before their transactions queue, so they cannot tell).
            var most = 0
            try await Polling.until("every job ran", timeout: .seconds(120), interval: .milliseconds(10)) {
                let counts = try await cluster.store.rows(
                    "SELECT COUNT(*) FILTER (WHERE state = 'running'), COUNT(*) FILTER (WHERE state = 'succeeded') FROM jobs")
                most = max(most, Int(counts[0][0]) ?? 0)
                return Int(counts[0][1]) == jobs
            }
            for worker in workers { await worker.stop() }
            let by = try await Self.starts(cluster, type: "t").workers
            print("concurrency 3 over 3 replicas: at most \(most) running at once, run by \(by.sorted())")
            #expect(most == 3, "at most 3 at once, and the cap was reached")
            #expect(by.count >= 2, "the jobs went to workers of several replicas")
        }
    }
}
