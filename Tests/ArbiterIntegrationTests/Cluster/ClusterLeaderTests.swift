import ArbiterTesting
import Foundation
import Glibc
import Testing

/// Cluster mode's leader and workers, replicas on one PostgreSQL database: exactly one leads and
/// every replica lists the others; SIGKILL the leader and another leads within two polls (the lock
/// dies with its connection) and runs the job clock; SIGTERM it and another leads at once; a worker
/// whose replica is killed moves to another and its job finishes once. Prints the timelines.
@Suite(.serialized, .heavy) struct ClusterLeaderTests {
    /// The replicas that say they lead, among those still running.
    static func leaders(_ cluster: ClusterFixture) async -> [Int] {
        var found: [Int] = []
        for (index, server) in cluster.servers.enumerated() where server.process.isRunning {
            let text = try? await server.send("/metrics", token: cluster.token).text
            if text.flatMap({ ExpositionSamples.value(in: $0, "arbiter_cluster_leader") }) == "1" { found.append(index) }
        }
        return found
    }

    static func waitForOneLeader(_ cluster: ClusterFixture) async throws -> Int {
        var leaders: [Int] = []
        try await Polling.until("one replica leads", timeout: .seconds(30), interval: .milliseconds(100)) {
            leaders = await Self.leaders(cluster)
            return leaders.count == 1
        }
        return leaders[0]
    }

    @Test("one leader among three replicas, which all see each other; SIGKILL or SIGTERM the leader and another leads within seconds", .enabled(if: ClusterFixture.canRun))
    func oneLeaderAndFailover() async throws {
        try await ClusterFixture.with(replicas: 3, extra: "workers:\n  lease_timeout: 2s") { cluster in
            let started = ContinuousClock.now
            var timeline: [(String, Duration)] = []
            func note(_ event: String) { timeline.append((event, ContinuousClock.now - started)) }

            let first = try await Self.waitForOneLeader(cluster)
            note("r\(first + 1) leads")
            // Every replica names the leader and lists the others; `arbiter cluster` prints it.
            try await Polling.until("every replica has learned the leader and sees the others", timeout: .seconds(10)) {
                var agreeing = 0
                for index in 0..<3 {
                    let answer = try await cluster.json(index, "/api/v1/cluster")
                    if answer["leader"] as? String == "r\(first + 1)", answer["coordination"] as? String == "ok", (answer["replicas"] as? [Any])?.count == 3 {
                        agreeing += 1
                    }
                }
                return agreeing == 3
            }
            let printed = try await ArbiterServer.run(
                ["cluster", "--server", cluster.servers[(first + 2) % 3].baseURL, "--token", cluster.token], in: cluster.directory)
            #expect(printed.status == 0 && printed.stdout.contains("leader r\(first + 1) (epoch"), "\(printed.stdout)\(printed.stderr)")

            // A job leased through a follower and abandoned: only a leader's clock expires the lease.
            let follower = (first + 1) % 3
            _ = try await cluster.servers[follower].post("/api/v1/workers/register", json: #"{"id":"w","capabilities":["t"]}"#, token: cluster.token)
            let id = try await cluster.submit(on: follower)

            cluster.servers[first].process.signal(SIGKILL)
            let killed = ContinuousClock.now
            note("r\(first + 1) SIGKILLed")
            let leased = try await cluster.servers[follower].post("/api/v1/workers/w/lease?wait=2s", json: "", token: cluster.token)
            #expect(leased.text.contains(id), "\(leased.text)")
            let second = try await Self.waitForOneLeader(cluster)
            let failover = ContinuousClock.now - killed
            note("r\(second + 1) leads")
            // Polled once a second: the lock is free as soon as the killed process's connection closes
            // (measured 0.5-0.9 s on an idle machine; a loaded one can take seconds to finish killing a
            // process). A replica that never took over would fail this.
            #expect(failover < .seconds(20), "failover took \(failover)")

            try await Polling.until("the new leader expires the abandoned lease", timeout: .seconds(30)) {
                try await cluster.servers[follower].send("/api/v1/jobs/\(id)", token: cluster.token).text.contains(#""lease_expired""#)
            }
            note("abandoned lease expired by r\(second + 1)")

            await cluster.servers[second].stop()
            let stopped = ContinuousClock.now
            note("r\(second + 1) stopped (SIGTERM)")
            _ = try await Self.waitForOneLeader(cluster)
            let handover = ContinuousClock.now - stopped
            note("the last replica leads")
            #expect(handover < .seconds(20), "handover took \(handover)")

            print("cluster leader timeline (failover \(failover), handover after stop \(handover)):")
            for (event, at) in timeline { print("  \(at)  \(event)") }
        }
    }

    @Test("a leader whose lock session the server ends steps down at its next check; one replica leads again, in a higher epoch", .enabled(if: ClusterFixture.canRun))
    func aLeaderCutOffStepsDown() async throws {
        try await ClusterFixture.with(replicas: 3) { cluster in
            let first = try await Self.waitForOneLeader(cluster)
            let epoch = { try await cluster.store.count("SELECT epoch FROM cluster_leader WHERE id = 1") }
            let before = try await epoch()
            // The session holding the leader lock, as an operator (or a failover of the database) ends it.
            let ended = try await cluster.store.rows(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = \(0x6172_6269_7465_72 & 0xFFFF_FFFF)")
            #expect(ended.map { $0.first } == ["t"], "one lock session ended: \(ended)")
            let cut = ContinuousClock.now
            // Looked at every 50 ms: how long more than one replica said it led.
            var overlap: Duration = .zero
            var lastLook = cut
            try await Polling.until("one replica leads in a higher epoch", timeout: .seconds(30), interval: .milliseconds(50)) {
                let leaders = await Self.leaders(cluster)
                let now = ContinuousClock.now
                if leaders.count > 1 { overlap += now - lastLook }
                lastLook = now
                guard leaders.count == 1 else { return false }
                return try await epoch() > before
            }
            let settled = ContinuousClock.now - cut
            let second = try await Self.waitForOneLeader(cluster)
            print("leader r\(first + 1)'s lock session ended: r\(second + 1) leads in epoch \(try await epoch()) (was \(before)) after \(settled); two said they led for \(overlap)")
            // A check a second, answered within 2 s: the former leader knows within 3 s, on an idle machine
            // within one poll.
            #expect(overlap <= .seconds(3), "two replicas said they led for \(overlap)")
            #expect(settled < .seconds(20), "leadership settled after \(settled)")
        }
    }

    @Test("a worker whose replica is SIGKILLed moves to another with its running job, which finishes once", .enabled(if: ClusterFixture.canRun))
    func aWorkerMovesToAnotherReplica() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            let flag = cluster.directory.file("release")
            let worker = try await cluster.worker("mover", on: [0, 1], exec: ["t": "while [ ! -e \(flag) ]; do sleep 0.1; done; echo done"])
            let id = try await cluster.submit(on: 1)
            try await cluster.waitForState(id, "running", on: 1)

            let killed = ContinuousClock.now
            cluster.servers[0].process.signal(SIGKILL)
            let address = cluster.servers[1].address
            try await worker.waitForLog(timeout: .seconds(30)) { $0["msg"] == "connected" && $0["url"]?.contains(address) == true }
            let moved = ContinuousClock.now - killed
            _ = try cluster.directory.write("release", "")
            try await cluster.waitForState(id, "succeeded", on: 1)
            let attempts = (try await cluster.json(1, "/api/v1/jobs/\(id)")["attempts"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
            #expect(attempts == ["succeeded"], "one attempt, finished once: \(attempts)")
            await worker.stop()
            print("worker moved to r2 \(moved) after r1 was SIGKILLed; its job finished once")
        }
    }
}
