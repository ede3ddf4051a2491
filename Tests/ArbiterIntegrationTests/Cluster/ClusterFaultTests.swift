import ArbiterTesting
import Foundation
import Glibc
import Testing

/// Faults in the middle of 10,000 jobs on three replicas, with four `arbiter worker` processes spread
/// over them and a handler that fails one attempt in five: the leader SIGKILLed; a replica holding
/// workers SIGKILLed (they move on, lost reports are rescued by lease expiry); Redis restarted, then
/// PostgreSQL. Every accepted job reaches a final state, none succeeds twice, and the audit chain
/// verifies. Each prints its timeline.
@Suite(.serialized, .heavy) struct ClusterFaultTests {
    static let jobs = 10_000

    enum Fault: String, CaseIterable, CustomStringConvertible {
        case killTheLeader = "the leader SIGKILLed"
        case killAReplicaHoldingWorkers = "a replica holding workers SIGKILLed"
        case restartRedisThenPostgres = "Redis restarted, then PostgreSQL"
        var description: String { self.rawValue }
    }

    @Test("mid-run faults: every job reaches a final state, none succeeds twice, the chain verifies", .enabled(if: ClusterFixture.canRun), arguments: Fault.allCases)
    func faultMidRun(_ fault: Fault) async throws {
        // The leader's course also holds a breaker open (type `held`, which no job has) through the
        // failover, from a rule that fires only on seeing all three replicas' samples.
        let directory = try TemporaryDirectory(prefix: "cluster-fault")
        defer { directory.remove() }
        let rules = try directory.write("rules.yml", ClusterSteeringTests.rules.replacingOccurrences(of: "job_type: t}", with: "job_type: held}"))
        let steering = fault == .killTheLeader ? """
            tsdb: {sample_interval: 1s}
            rules: {evaluation_interval: 1s, builtin: false}
            rule_files: [\(rules)]
            """ : ""
        let extra = """
            workers:
              timeout: 5s
              lease_timeout: 5s
            job_types:
              t: {max_attempts: 10, backoff: {initial: 50ms, max: 200ms}}
            \(steering)
            """
        // Restarting PostgreSQL takes a server of the test's own.
        let postgres = fault == .restartRedisThenPostgres ? try await PostgresServer.start() : nil
        defer { postgres?.stop() }
        try await ClusterFixture.with(replicas: 3, extra: extra, postgres: postgres) { cluster in
            let started = ContinuousClock.now
            var timeline: [(String, Duration)] = []
            func note(_ event: String) { timeline.append((event, ContinuousClock.now - started)) }
            // One attempt in five fails.
            let handler = #"[ $(( $(od -An -N1 -tu1 /dev/urandom) % 5 )) -ne 0 ]"#
            var workers: [WorkerProcess] = []
            for index in 0..<4 {
                let order = (0..<3).map { (index + $0) % 3 }
                workers.append(try await cluster.worker("w\(index + 1)", on: order, exec: ["t": handler], concurrency: 8))
            }
            note("3 replicas, 4 workers")

            for batch in 0..<(Self.jobs / 1000) {
                let body = "{\"jobs\":[" + (0..<1000).map { #"{"type":"t","payload":{"n":\#(batch * 1000 + $0)}}"# }.joined(separator: ",") + "]}"
                let answer = try await cluster.servers[batch % 3].post("/api/v1/jobs/batch", json: body, token: cluster.token)
                #expect(answer.status == 201 || answer.status == 200, "\(answer.text.prefix(300))")
            }
            note("\(Self.jobs) jobs accepted")
            let finalStates = "SELECT COUNT(*) FROM jobs WHERE state IN ('succeeded', 'dead', 'cancelled')"
            try await Polling.until("a third of the jobs finished", timeout: .seconds(300)) { try await cluster.store.count(finalStates) >= Self.jobs / 3 }
            let leader = try await ClusterLeaderTests.waitForOneLeader(cluster)
            switch fault {
            case .killTheLeader:
                try await Polling.until("the breaker for held is open on every replica", timeout: .seconds(60), interval: .milliseconds(100)) {
                    var open = 0
                    for index in 0..<3 where try await ClusterSteeringTests.breaker(cluster, index, type: "held") == "open" { open += 1 }
                    return open == 3
                }
                note("breaker for held open on every replica")
                cluster.servers[leader].process.signal(SIGKILL)
                note("leader r\(leader + 1) SIGKILLed with \(try await cluster.store.count(finalStates)) jobs finished")
                note("r\(try await ClusterLeaderTests.waitForOneLeader(cluster) + 1) leads")
                for index in (0..<3) where index != leader {
                    let state = try await ClusterSteeringTests.breaker(cluster, index, type: "held")
                    #expect(state == "open", "r\(index + 1)'s breaker for held is \(state ?? "gone") after the failover")
                    #expect(try await ClusterSteeringTests.firing(cluster, index, alert: "ClusterOfThree") != nil, "r\(index + 1) lost the firing alert")
                }
                note("breaker still open and ClusterOfThree still firing on both survivors")
            case .killAReplicaHoldingWorkers:
                // Every replica holds at least one worker (each worker starts on a different one).
                let victim = (leader + 1) % 3
                cluster.servers[victim].process.signal(SIGKILL)
                note("r\(victim + 1), a follower holding workers, SIGKILLed with \(try await cluster.store.count(finalStates)) jobs finished")
            case .restartRedisThenPostgres:
                await cluster.redis.halt()
                note("Redis halted with \(try await cluster.store.count(finalStates)) jobs finished")
                try await cluster.redis.restart()
                note("Redis back")
                let before = try await cluster.store.count(finalStates)
                try await Polling.until("jobs finish again after Redis", timeout: .seconds(120)) { try await cluster.store.count(finalStates) > before }
                try await postgres?.halt()
                note("PostgreSQL halted")
                try await postgres?.restart()
                note("PostgreSQL back")
            }

            do {
                try await Polling.until("every job reaches a final state", timeout: .seconds(240), interval: .seconds(1)) {
                    try await cluster.store.count(finalStates) == Self.jobs
                }
            } catch {
                let states = try await cluster.store.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
                let tails = workers.map { $0.process.stderr.split(separator: "\n").suffix(3).joined(separator: "\n") }
                let logs = cluster.servers.map { $0.process.stderr.split(separator: "\n").suffix(5).joined(separator: "\n") }
                throw TestingError("\(error); states \(states); timeline \(timeline)\nworkers:\n\(tails.joined(separator: "\n"))\nreplicas:\n\(logs.joined(separator: "\n"))")
            }
            note("all \(Self.jobs) jobs final")
            for worker in workers { await worker.stop() }

            #expect(try await cluster.store.count("SELECT COUNT(*) FROM jobs") == Self.jobs, "no job lost or made up")
            let twice = try await cluster.store.count(
                "SELECT COUNT(*) FROM (SELECT job_id FROM job_attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING COUNT(*) > 1) AS twice")
            #expect(twice == 0, "\(twice) jobs succeeded twice")
            let outcomes = try await cluster.store.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            let verify = try await ArbiterServer.run(["audit", "verify"] + cluster.store.commandLineArguments, in: cluster.directory, timeout: .seconds(300))
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            note("audit chain verified")

            print("cluster fault timeline, \(fault) (\(Self.jobs) jobs; final states \(outcomes.map { "\($0[0]) \($0[1])" }.joined(separator: ", "))):")
            for (event, at) in timeline { print("  \(at)  \(event)") }
        }
    }
}
