import ArbiterCore
import ArbiterTesting
import Foundation
import Glibc
import Testing

/// The fault each course of ``ClusterFaultTests`` makes, and what it checks while it happens.
extension ClusterFaultTests {
    /// SIGKILLs the leader once the breaker for `held` is open everywhere: another replica leads
    /// within a poll of the lock plus 1 s (as `cluster_leader.since` records), and for the next five
    /// seconds, while the new leader evaluates, the breaker stays open and the alert firing on both
    /// survivors.
    static func killTheLeader(_ leader: Int, _ cluster: ClusterFixture, _ timeline: Timeline) async throws {
        try await Polling.until("the breaker for held is open on every replica", timeout: .seconds(60), interval: .milliseconds(100)) {
            var open = 0
            for index in 0..<3 where try await ClusterSteeringTests.breaker(cluster, index, type: "held") == "open" { open += 1 }
            return open == 3
        }
        timeline.note("breaker for held open on every replica")
        let killedAt = WallClock.nowMilliseconds()
        cluster.servers[leader].process.signal(SIGKILL)
        timeline.note("leader r\(leader + 1) SIGKILLed with \(try await cluster.finished()) jobs finished")
        let next = try await ClusterLeaderTests.waitForOneLeader(cluster)
        let since = try #require(Int64(try await cluster.store.rows("SELECT since FROM cluster_leader WHERE id = 1").first?.first ?? ""))
        let failover = since - killedAt
        timeline.note("r\(next + 1) leads, elected \(failover) ms after the SIGKILL")
        #expect(failover <= (Self.leaderPoll + .seconds(1)).wholeMilliseconds, "a new leader \(failover) ms after the SIGKILL")

        let watchedUntil = ContinuousClock.now + .seconds(5)
        var looks = 0
        while ContinuousClock.now < watchedUntil {
            for index in (0..<3) where index != leader {
                let state = try await ClusterSteeringTests.breaker(cluster, index, type: "held")
                #expect(state == "open", "r\(index + 1)'s breaker for held is \(state ?? "gone") after the failover")
                #expect(try await ClusterSteeringTests.firing(cluster, index, alert: "ClusterOfThree") != nil, "r\(index + 1) lost the firing alert")
            }
            looks += 1
            try await Task.sleep(for: .milliseconds(250))
        }
        timeline.note("breaker open and ClusterOfThree firing on both survivors, \(looks) looks over 5 s")
    }

    /// SIGKILLs a follower holding workers: each of its workers is listed on a survivor, and every
    /// job those workers held at the kill is running no more under that attempt within the lease
    /// timeout (plus a second for the job clock's tick and one for a busy machine).
    static func killAReplicaHoldingWorkers(_ leader: Int, _ cluster: ClusterFixture, _ timeline: Timeline) async throws {
        // Every replica holds at least one worker (each worker starts on a different one).
        let victim = (leader + 1) % 3
        let survivor = (leader + 2) % 3
        var held: [String] = []
        try await Polling.until("the victim lists its workers", timeout: .seconds(10)) {
            held = (1...4).map { "w\($0)" }
            var mine: [String] = []
            for worker in held where try await cluster.holder(of: worker, asking: victim) == victim { mine.append(worker) }
            held = mine
            return !held.isEmpty
        }
        cluster.servers[victim].process.signal(SIGKILL)
        let killed = ContinuousClock.now
        let names = held.map { "'\($0)'" }.joined(separator: ",")
        let running = try await cluster.store.rows("SELECT id, attempt FROM jobs WHERE state = 'running' AND lease_worker_id IN (\(names))")
        timeline.note("r\(victim + 1), a follower holding \(held.joined(separator: ", ")) with \(running.count) jobs running, SIGKILLed; \(try await cluster.finished()) finished")

        try await Polling.until("the victim's workers connect to other replicas", timeout: .seconds(30), interval: .milliseconds(50)) {
            for worker in held where try await cluster.holder(of: worker, asking: survivor, excluding: victim) == nil { return false }
            return true
        }
        timeline.note("\(held.joined(separator: ", ")) connected to other replicas, \(ContinuousClock.now - killed) after the kill")

        let ids = running.map { "'\($0[0])'" }.joined(separator: ",")
        let attempts = Dictionary(running.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
        try await Polling.until("what they held moves on", timeout: .seconds(60), interval: .milliseconds(100)) {
            guard !running.isEmpty else { return true }
            let rows = try await cluster.store.rows("SELECT id, attempt FROM jobs WHERE state = 'running' AND id IN (\(ids))")
            return !rows.contains { attempts[$0[0]] == $0[1] }
        }
        let movedOn = ContinuousClock.now - killed
        timeline.note("every job they held at the kill ended or was requeued, \(movedOn) after the kill")
        #expect(movedOn <= Self.leaseTimeout + .seconds(2), "held jobs still running under their attempt \(movedOn) after the kill")
    }

    /// Halts Redis (submitting meanwhile), restarts it, lets jobs flow, then halts PostgreSQL
    /// (submitting meanwhile: each answer a 201 or a 503) and restarts it.
    /// - Returns: The jobs acknowledged during the outages.
    static func restartRedisThenPostgres(_ cluster: ClusterFixture, _ postgres: PostgresServer, _ timeline: Timeline) async throws -> Outcome {
        var outcome = Outcome()
        // A backlog of the rate-limited type that outlasts both restarts (40 s at its rate).
        let backlog = "{\"jobs\":[" + (0..<(Self.rate * 40)).map { #"{"type":"r","payload":{"n":\#($0)}}"# }.joined(separator: ",") + "]}"
        let submitted = try await cluster.servers[0].post("/api/v1/jobs/batch", json: backlog, token: cluster.token, timeout: Self.batchTimeout)
        #expect(submitted.status == 201, "\(submitted.text.prefix(300))")
        if submitted.status == 201 { outcome.acknowledged += Self.rate * 40 }
        timeline.note("\(Self.rate * 40) jobs of r (\(Self.rate)/s) submitted")
        await cluster.redis.halt()
        timeline.note("Redis halted with \(try await cluster.finished()) jobs finished")
        let body = "{\"jobs\":[" + (0..<100).map { #"{"type":"t","payload":{"during":"redis","n":\#($0)}}"# }.joined(separator: ",") + "]}"
        let duringRedis = try await cluster.servers[1].post("/api/v1/jobs/batch", json: body, token: cluster.token, timeout: Self.batchTimeout)
        #expect(duringRedis.status == 201, "\(duringRedis.text.prefix(300))")
        if duringRedis.status == 201 { outcome.acknowledged += 100 }
        timeline.note("100 jobs submitted on r2 while Redis was down: \(duringRedis.status)")
        try await cluster.redis.restart()
        outcome.restarts.append(("Redis back", WallClock.nowMilliseconds()))
        timeline.note("Redis back")
        let redisBack = outcome.restarts[0].1
        // Long enough after Redis for the rate check to see it hold (3 s to settle, a 5 s window).
        try await Polling.until("r starts 8 s after Redis came back", timeout: .seconds(60), interval: .milliseconds(250)) {
            try await cluster.store.count(
                "SELECT COUNT(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.type = 'r' AND a.started_at >= \(redisBack + 8000)") > 0
        }
        timeline.note("jobs of r start 8 s after Redis came back")

        try await postgres.halt()
        timeline.note("PostgreSQL halted")
        var answers: [Int] = []
        for index in 0..<3 {
            let answer = try await cluster.servers[index].post("/api/v1/jobs", json: #"{"type":"t","payload":{"during":"postgres"}}"#, token: cluster.token)
            answers.append(answer.status)
            #expect(answer.status == 201 || (answer.status == 503 && answer.text.contains("store_unavailable")), "\(answer.status) \(answer.text)")
            if answer.status == 201 { outcome.acknowledged += 1 }
        }
        timeline.note("a job submitted on each replica while PostgreSQL was down: \(answers)")
        try await postgres.restart()
        outcome.restarts.append(("PostgreSQL back", WallClock.nowMilliseconds()))
        timeline.note("PostgreSQL back")
        return outcome
    }

    /// Type `r`'s starts hold its rate again within 3 s of each restart: no 5-second window that
    /// begins 3 s or more after it (and before the next) holds more than 5% over the rate.
    static func checkTheRateAfterEachRestart(_ cluster: ClusterFixture, _ marks: [(String, Int64)], _ timeline: Timeline) async throws {
        let (starts, _) = try await ClusterLimitTests.starts(cluster, type: "r")
        let limit = Int((Double(Self.rate) * 5 * 1.05).rounded(.up))
        for (index, (name, back)) in marks.enumerated() {
            let end = index + 1 < marks.count ? marks[index + 1].1 : (starts.last ?? back)
            var busiest = 0
            var windows = 0
            var from = back + 3000
            while from + 5000 <= end {
                busiest = max(busiest, starts.filter { $0 >= from && $0 < from + 5000 }.count)
                windows += 1
                from += 250
            }
            timeline.note("r after \(name): the busiest of \(windows) 5 s windows from +3 s held \(busiest) starts (cap \(Self.rate)/s, at most \(limit))")
            #expect(windows > 0, "r ran out before a window after \(name) could be measured")
            #expect(busiest <= limit, "after \(name), \(busiest) starts of r in 5 s against a rate of \(Self.rate)/s")
        }
    }

    /// While the jobs run, 100 jobs of type `s` are each cancelled on a replica other than the one
    /// holding the connection of the worker that runs it; once the cancel is recorded (its answer),
    /// the worker logs it within 100 ms at p99. From the request the time adds the cancel's own group
    /// commit, which the 10,000 jobs' commits make long on a loaded machine: printed, not bounded.
    /// - Returns: The `s` jobs, acknowledged beyond the 10,000.
    static func cancelAcrossReplicas(_ cluster: ClusterFixture, _ workers: [WorkerProcess], _ timeline: Timeline) async throws -> Outcome {
        let samples = 100
        var latencies: [Int64] = []
        var details: [String] = []
        var afterAnswer: [Int64] = []
        for sample in 0..<samples {
            let submitted = try await cluster.servers[sample % 3].post("/api/v1/jobs", json: #"{"type":"s","payload":{}}"#, token: cluster.token)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
            var workerID = ""
            try await Polling.until("job \(id) runs", timeout: .seconds(60), interval: .milliseconds(20)) {
                let job = try await cluster.json(sample % 3, "/api/v1/jobs/\(id)")
                workerID = (job["lease"] as? [String: Any])?["worker_id"] as? String ?? ""
                return job["state"] as? String == "running" && !workerID.isEmpty
            }
            let holder = try #require(try await cluster.holder(of: workerID, asking: sample % 3), "no replica lists \(workerID)")
            let worker = try #require(workers.first { $0.id == workerID })
            let canceller = (holder + 1 + sample % 2) % 3
            let sent = WallClock.nowMilliseconds()
            let cancelled = try await cluster.servers[canceller].post("/api/v1/jobs/\(id)/cancel", json: #"{"reason":"across"}"#, token: cluster.token)
            let answered = WallClock.nowMilliseconds() - sent
            #expect(cancelled.status == 200, "\(cancelled.text)")
            var arrived: Int64 = 0
            try await Polling.until("\(workerID) is told of \(id)", timeout: .seconds(10), interval: .milliseconds(20)) {
                guard let line = worker.logLines.last(where: { $0["msg"] == "job cancelled by the server" && $0["job_id"] == id }),
                    let ts = line["ts"], let at = try? RFC3339.milliseconds(from: ts)
                else { return false }
                arrived = at
                return true
            }
            latencies.append(arrived - sent)
            afterAnswer.append(arrived - sent - answered)
            details.append("\(arrived - sent) ms (answered \(answered) ms; r\(canceller + 1) → \(workerID) on r\(holder + 1))")
        }
        print("  slowest: " + details.sorted { Int($0.prefix { $0 != " " })! > Int($1.prefix { $0 != " " })! }.prefix(5).joined(separator: "; "))
        let sorted = latencies.sorted()
        let p50 = sorted[samples / 2]
        let rank = Int((Double(samples) * 0.99).rounded(.up)) - 1
        let p99 = sorted[rank]
        let fanOut = afterAnswer.sorted()
        timeline.note(
            "\(samples) cancels across replicas under load, from the request to the worker: p50 \(p50) ms, p99 \(p99) ms, max \(sorted.last ?? 0) ms; "
                + "from the cancel's answer: p50 \(fanOut[samples / 2]) ms, p99 \(fanOut[rank]) ms")
        #expect(fanOut[rank] <= 100, "a recorded cancel reached the worker on another replica in \(fanOut[rank]) ms at p99")
        return Outcome(acknowledged: samples)
    }
}
