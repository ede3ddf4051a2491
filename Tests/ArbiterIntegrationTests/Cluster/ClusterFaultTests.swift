import ArbiterTesting
import Foundation
import Glibc
import Testing

/// The leader SIGKILLed in the middle of 10,000 jobs: three replicas, four `arbiter worker`
/// processes spread over them, a handler that fails one attempt in five. Every accepted job reaches a
/// final state, none succeeds twice, and the audit chain verifies. Prints the timeline.
@Suite(.serialized, .heavy) struct ClusterFaultTests {
    static let jobs = 10_000

    @Test("SIGKILL the leader mid-run: every job reaches a final state, none succeeds twice, the chain verifies", .enabled(if: ClusterFixture.canRun))
    func theLeaderKilledMidRun() async throws {
        let extra = """
            workers:
              timeout: 5s
              lease_timeout: 5s
            job_types:
              t: {max_attempts: 10, backoff: {initial: 50ms, max: 200ms}}
            """
        try await ClusterFixture.with(replicas: 3, extra: extra) { cluster in
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
            cluster.servers[leader].process.signal(SIGKILL)
            note("leader r\(leader + 1) SIGKILLed with \(try await cluster.store.count(finalStates)) jobs finished")
            let next = try await ClusterLeaderTests.waitForOneLeader(cluster)
            note("r\(next + 1) leads")

            try await Polling.until("every job reaches a final state", timeout: .seconds(600), interval: .seconds(1)) {
                try await cluster.store.count(finalStates) == Self.jobs
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

            print("cluster fault timeline (\(Self.jobs) jobs; final states \(outcomes.map { "\($0[0]) \($0[1])" }.joined(separator: ", "))):")
            for (event, at) in timeline { print("  \(at)  \(event)") }
        }
    }
}
