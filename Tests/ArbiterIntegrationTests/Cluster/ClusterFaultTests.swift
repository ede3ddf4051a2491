import ArbiterTesting
import Foundation
import Glibc
import Testing

/// Faults in the middle of 10,000 jobs on three replicas, with four `arbiter worker` processes spread
/// over them and a handler that fails one attempt in five: the leader SIGKILLed (a new leader within
/// its poll plus 1 s; the breaker stays open, the alert firing); a replica holding workers SIGKILLed
/// (they connect elsewhere; what they held moves on within the lease timeout); Redis restarted, then
/// PostgreSQL (what was acknowledged meanwhile is kept; a rate holds again within seconds); cancels
/// made on one replica for jobs on another's workers (from the cancel's answer to the worker within
/// 100 ms at p99). In each, every accepted
/// job reaches a final state, none succeeds twice, and the audit chain verifies. Each prints its
/// timeline as it goes.
@Suite(.serialized, .heavy) struct ClusterFaultTests {
    static let jobs = 10_000
    /// `workers.lease_timeout` in these runs.
    static let leaseTimeout: Duration = .seconds(5)
    /// How often a replica tries the leader lock (LeaderElection's interval): a leader's "lease".
    static let leaderPoll: Duration = .seconds(1)
    /// The rate of type `r` in the restart course.
    static let rate = 20
    /// A batch of 1,000 jobs is setup, not a measure: a loaded machine (the suite's start, with
    /// hundreds of tests at once) has taken more than the usual 10 s to store one on PostgreSQL.
    static let batchTimeout: Duration = .seconds(120)

    enum Fault: String, CaseIterable, CustomStringConvertible {
        case killTheLeader = "the leader SIGKILLed"
        case killAReplicaHoldingWorkers = "a replica holding workers SIGKILLed"
        case restartRedisThenPostgres = "Redis restarted, then PostgreSQL"
        case cancelAcrossReplicas = "cancels across replicas"
        var description: String { self.rawValue }
    }

    /// What a course did that the common checks need.
    struct Outcome {
        /// Jobs acknowledged (201) beyond the 10,000 submitted first.
        var acknowledged = 0
        /// What came back and when (Unix ms), for the restart course's rate check.
        var restarts: [(String, Int64)] = []
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
              lease_timeout: \(Self.leaseTimeout.components.seconds)s
            job_types:
              t: {max_attempts: 10, backoff: {initial: 50ms, max: 200ms}}
              r: {rate: \(Self.rate)/s}
            \(steering)
            """
        // Restarting PostgreSQL takes a server of the test's own.
        let postgres = fault == .restartRedisThenPostgres ? try await PostgresServer.start() : nil
        defer { postgres?.stop() }
        try await ClusterFixture.with(replicas: 3, extra: extra, postgres: postgres) { cluster in
            let timeline = Timeline("cluster fault, \(fault)")
            // One attempt in five fails; `r` (rate-limited) succeeds at once; `s` runs until cancelled.
            let handler = #"[ $(( $(od -An -N1 -tu1 /dev/urandom) % 5 )) -ne 0 ]"#
            var workers: [WorkerProcess] = []
            for index in 0..<4 {
                let order = (0..<3).map { (index + $0) % 3 }
                workers.append(try await cluster.worker("w\(index + 1)", on: order, exec: ["t": handler, "r": "true", "s": "sleep 60"], concurrency: 8))
            }
            timeline.note("3 replicas, 4 workers")

            for batch in 0..<(Self.jobs / 1000) {
                let body = "{\"jobs\":[" + (0..<1000).map { #"{"type":"t","payload":{"n":\#(batch * 1000 + $0)}}"# }.joined(separator: ",") + "]}"
                let answer = try await cluster.servers[batch % 3].post("/api/v1/jobs/batch", json: body, token: cluster.token, timeout: Self.batchTimeout)
                #expect(answer.status == 201 || answer.status == 200, "\(answer.text.prefix(300))")
            }
            timeline.note("\(Self.jobs) jobs accepted")
            try await Polling.until("a third of the jobs finished", timeout: .seconds(300)) { try await cluster.finished() >= Self.jobs / 3 }
            let leader = try await ClusterLeaderTests.waitForOneLeader(cluster)
            var outcome = Outcome()
            switch fault {
            case .killTheLeader: try await Self.killTheLeader(leader, cluster, timeline)
            case .killAReplicaHoldingWorkers: try await Self.killAReplicaHoldingWorkers(leader, cluster, timeline)
            case .restartRedisThenPostgres: outcome = try await Self.restartRedisThenPostgres(cluster, try #require(postgres), timeline)
            case .cancelAcrossReplicas: outcome = try await Self.cancelAcrossReplicas(cluster, workers, timeline)
            }

            let total = Self.jobs + outcome.acknowledged
            do {
                try await Polling.until("every job reaches a final state", timeout: .seconds(240), interval: .seconds(1)) {
                    try await cluster.finished() == total
                }
            } catch {
                let states = try await cluster.store.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
                let tails = workers.map { $0.process.stderr.split(separator: "\n").suffix(3).joined(separator: "\n") }
                let logs = cluster.servers.map { $0.process.stderr.split(separator: "\n").suffix(5).joined(separator: "\n") }
                throw TestingError("\(error); states \(states)\nworkers:\n\(tails.joined(separator: "\n"))\nreplicas:\n\(logs.joined(separator: "\n"))")
            }
            timeline.note("all \(total) jobs final")
            for worker in workers { await worker.stop() }

            #expect(try await cluster.store.count("SELECT COUNT(*) FROM jobs") == total, "no acknowledged job lost, none made up")
            let twice = try await cluster.store.count(
                "SELECT COUNT(*) FROM (SELECT job_id FROM job_attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING COUNT(*) > 1) AS twice")
            #expect(twice == 0, "\(twice) jobs succeeded twice")
            if fault == .restartRedisThenPostgres { try await Self.checkTheRateAfterEachRestart(cluster, outcome.restarts, timeline) }
            let outcomes = try await cluster.store.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
            timeline.note("final states \(outcomes.map { "\($0[0]) \($0[1])" }.joined(separator: ", "))")
            let verify = try await ArbiterServer.run(["audit", "verify"] + cluster.store.commandLineArguments, in: cluster.directory, timeout: .seconds(300))
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            timeline.note("audit chain verified")
        }
    }
}

extension ClusterFixture {
    /// Jobs in a final state.
    func finished() async throws -> Int {
        try await self.store.count("SELECT COUNT(*) FROM jobs WHERE state IN ('succeeded', 'dead', 'cancelled')")
    }

    /// The replica (0-based) whose presence lists worker `id`'s connection, as replica `asking` reads
    /// the cluster, leaving out `excluding`.
    func holder(of id: String, asking: Int, excluding: Int? = nil) async throws -> Int? {
        let replicas = try await self.json(asking, "/api/v1/cluster")["replicas"] as? [[String: Any]] ?? []
        for replica in replicas {
            guard let name = replica["id"] as? String, let index = Int(name.dropFirst()).map({ $0 - 1 }), index != excluding else { continue }
            if (replica["workers"] as? [String] ?? []).contains(id) { return index }
        }
        return nil
    }
}

/// A test's events with the time since it started, printed as they happen (so a failing run shows
/// how far it got) and kept for the assertions that need them.
final class Timeline: @unchecked Sendable {
    // Safety (@unchecked Sendable): used from the one test task that owns it.
    let title: String
    let started = ContinuousClock.now
    private(set) var events: [(String, Duration)] = []

    init(_ title: String) {
        self.title = title
        print("\(title): timeline")
    }

    func note(_ event: String) {
        let at = ContinuousClock.now - self.started
        self.events.append((event, at))
        let seconds = Double(at.components.seconds) + Double(at.components.attoseconds) / 1e18
        print("  +\(String(format: "%.3f", seconds)) s  \(event)")
    }
}
