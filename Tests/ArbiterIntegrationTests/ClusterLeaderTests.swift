import ArbiterTesting
import Foundation
import Glibc
import Testing

/// Cluster mode's leader, three replicas on one PostgreSQL database: exactly one leads; SIGKILL it
/// and another leads within two polls (the lock dies with the connection); the new leader runs the
/// job clock (an abandoned lease is expired); SIGTERM it and another leads at once. Prints the
/// timeline.
@Suite(.serialized, .heavy) struct ClusterLeaderTests {
    static func leads(_ server: ArbiterServer, token: String) async -> Bool? {
        guard let text = try? await server.send("/metrics", token: token).text else { return nil }
        return ExpositionSamples.value(in: text, "arbiter_cluster_leader").map { $0 == "1" }
    }

    /// The replicas that say they lead, among those still answering.
    static func leaders(_ servers: [ArbiterServer], token: String) async -> [Int] {
        var found: [Int] = []
        for (index, server) in servers.enumerated() where server.process.isRunning {
            if await Self.leads(server, token: token) == true { found.append(index) }
        }
        return found
    }

    @Test(
        "one leader among three replicas, which all see each other; SIGKILL or SIGTERM the leader and another leads within seconds",
        .enabled(if: PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun))
    func oneLeaderAndFailover() async throws {
        let directory = try TemporaryDirectory(prefix: "cluster")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"))
        defer { store.drop() }
        let token = "arb_" + String(repeating: "c", count: 43)
        let tokenFile = try directory.write("admin_token", token)
        var servers: [ArbiterServer] = []
        defer { for server in servers { Task { await server.stop() } } }
        for index in 1...3 {
            let config = """
                store: \(store.url ?? "")
                cluster:
                  redis: \(redis.url)
                  replica_id: r\(index)
                auth:
                  admin_token_file: \(tokenFile)
                workers:
                  lease_timeout: 2s
                """
            servers.append(try await ArbiterServer.start(config: config))
        }
        let started = ContinuousClock.now
        var timeline: [(String, Duration)] = []
        func note(_ event: String) { timeline.append((event, ContinuousClock.now - started)) }

        var leaders: [Int] = []
        try await Polling.until("one replica leads", timeout: .seconds(30)) {
            leaders = await Self.leaders(servers, token: token)
            return leaders.count == 1
        }
        let first = leaders[0]
        note("r\(first + 1) leads")
        // Every replica names the leader; `arbiter cluster` prints it.
        try await Polling.until("every replica has learned the leader", timeout: .seconds(10)) {
            var named = 0
            for server in servers where try await server.send("/api/v1/cluster", token: token).text.contains(#""leader":"r\#(first + 1)""#) { named += 1 }
            return named == 3
        }
        try await Polling.until("every replica is listed, coordination ok", timeout: .seconds(10)) {
            let cluster = try JSONSerialization.jsonObject(with: Data(try await servers[0].send("/api/v1/cluster", token: token).body)) as? [String: Any]
            return cluster?["coordination"] as? String == "ok" && (cluster?["replicas"] as? [[String: Any]])?.count == 3
        }
        let printed = try await ArbiterServer.run(["cluster", "--server", servers[(first + 2) % 3].baseURL, "--token", token], in: directory)
        #expect(printed.status == 0 && printed.stdout.contains("cluster, coordination") && printed.stdout.contains("leader r\(first + 1) (epoch"), "\(printed.stdout)\(printed.stderr)")

        // A job leased through a follower and abandoned: only a leader's clock expires the lease.
        let follower = servers[(first + 1) % 3]
        _ = try await follower.post("/api/v1/workers/register", json: #"{"id":"w","capabilities":["t"]}"#, token: token)
        let submitted = try await follower.post("/api/v1/jobs", json: #"{"type":"t","payload":{}}"#, token: token)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)

        servers[first].process.signal(SIGKILL)
        let killed = ContinuousClock.now
        note("r\(first + 1) SIGKILLed")
        let leased = try await follower.post("/api/v1/workers/w/lease?wait=2s", json: "", token: token)
        #expect(leased.text.contains(id), "\(leased.text)")
        try await Polling.until("another replica leads", timeout: .seconds(30), interval: .milliseconds(100)) {
            leaders = await Self.leaders(servers, token: token)
            return leaders.count == 1
        }
        let failover = ContinuousClock.now - killed
        let second = leaders[0]
        note("r\(second + 1) leads")
        // Polled once a second: the lock is free as soon as the killed connection closes.
        #expect(failover < .seconds(5), "failover took \(failover)")

        try await Polling.until("the new leader expires the abandoned lease", timeout: .seconds(30)) {
            let job = try await follower.send("/api/v1/jobs/\(id)", token: token).text
            return job.contains(#""lease_expired""#)
        }
        note("abandoned lease expired by r\(second + 1)")

        let stopped = ContinuousClock.now
        await servers[second].stop()
        note("r\(second + 1) stopped (SIGTERM)")
        try await Polling.until("the last replica leads", timeout: .seconds(30), interval: .milliseconds(100)) {
            await Self.leaders(servers, token: token).count == 1
        }
        let handover = ContinuousClock.now - stopped
        note("the last replica leads")
        #expect(handover < .seconds(5), "handover took \(handover)")

        print("cluster leader timeline (failover \(failover), handover after stop \(handover)):")
        for (event, at) in timeline { print("  \(at)  \(event)") }
    }

    @Test(
        "a worker whose replica is SIGKILLed moves to another with its running job, which finishes once",
        .enabled(if: PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun))
    func aWorkerMovesToAnotherReplica() async throws {
        let directory = try TemporaryDirectory(prefix: "cluster")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"))
        defer { store.drop() }
        let token = "arb_" + String(repeating: "d", count: 43)
        let tokenFile = try directory.write("admin_token", token)
        var servers: [ArbiterServer] = []
        defer { for server in servers { Task { await server.stop() } } }
        for index in 1...2 {
            let config = """
                store: \(store.url ?? "")
                cluster:
                  redis: \(redis.url)
                  replica_id: r\(index)
                auth:
                  admin_token_file: \(tokenFile)
                """
            servers.append(try await ArbiterServer.start(config: config))
        }
        let flag = directory.file("release")
        let worker = try WorkerProcess(
            server: servers.map(\.baseURL).joined(separator: ","), token: token, id: "mover",
            exec: ["t": "while [ ! -e \(flag) ]; do sleep 0.1; done; echo done"])
        defer { Task { await worker.stop() } }
        let first = servers[0].address
        try await worker.waitForLog { $0["msg"] == "connected" && $0["url"]?.contains(first) == true }
        let submitted = try await servers[1].post("/api/v1/jobs", json: #"{"type":"t","payload":{}}"#, token: token)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
        try await Polling.until("the job runs on the worker, connected to r1", timeout: .seconds(30)) {
            try await servers[1].send("/api/v1/jobs/\(id)", token: token).text.contains(#""state":"running""#)
        }

        let killed = ContinuousClock.now
        servers[0].process.signal(SIGKILL)
        let address = servers[1].address
        try await worker.waitForLog(timeout: .seconds(30)) { $0["msg"] == "connected" && $0["url"]?.contains(address) == true }
        let moved = ContinuousClock.now - killed
        _ = try directory.write("release", "")
        try await Polling.until("the job finishes", timeout: .seconds(30)) {
            try await servers[1].send("/api/v1/jobs/\(id)", token: token).text.contains(#""state":"succeeded""#)
        }
        let job = try JSONSerialization.jsonObject(with: Data(try await servers[1].send("/api/v1/jobs/\(id)", token: token).body)) as? [String: Any]
        let attempts = (job?["attempts"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
        #expect(attempts == ["succeeded"], "one attempt, finished once: \(attempts)")
        print("worker moved to r2 \(moved) after r1 was SIGKILLed; its job finished once")
    }
}

/// Fan-out: a cancel made on one replica reaches a worker connected to another through Redis.
@Suite(.serialized, .heavy) struct ClusterFanOutTests {
    @Test(
        "a cancel on r2 reaches the worker connected to r1 (prints the latencies)",
        .enabled(if: PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun))
    func aCancelReachesAWorkerOnAnotherReplica() async throws {
        let directory = try TemporaryDirectory(prefix: "fanout")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"))
        defer { store.drop() }
        let token = "arb_" + String(repeating: "f", count: 43)
        let tokenFile = try directory.write("admin_token", token)
        var servers: [ArbiterServer] = []
        defer { for server in servers { Task { await server.stop() } } }
        for index in 1...2 {
            servers.append(try await ArbiterServer.start(config: """
                store: \(store.url ?? "")
                cluster:
                  redis: \(redis.url)
                  replica_id: r\(index)
                auth:
                  admin_token_file: \(tokenFile)
                """))
        }
        let worker = try WorkerProcess(server: servers[0].baseURL, token: token, id: "held", exec: ["t": "sleep 60"])
        defer { Task { await worker.stop() } }
        let first = servers[0].address
        try await worker.waitForLog { $0["msg"] == "connected" && $0["url"]?.contains(first) == true }

        var latencies: [Duration] = []
        for _ in 0..<10 {
            let submitted = try await servers[1].post("/api/v1/jobs", json: #"{"type":"t","payload":{}}"#, token: token)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
            try await Polling.until("the job runs", timeout: .seconds(30)) {
                try await servers[1].send("/api/v1/jobs/\(id)", token: token).text.contains(#""state":"running""#)
            }
            let cancelled = ContinuousClock.now
            #expect(try await servers[1].post("/api/v1/jobs/\(id)/cancel", json: #"{"reason":"fan-out"}"#, token: token).status == 200)
            try await Polling.until("the worker on r1 is told", timeout: .seconds(10), interval: .milliseconds(2)) {
                worker.process.stderr.contains("\"job_id\":\"\(id)\"") && worker.logLines.contains { $0["msg"] == "job cancelled by the server" && $0["job_id"] == id }
            }
            latencies.append(ContinuousClock.now - cancelled)
        }
        let sorted = latencies.sorted()
        print("cancel on r2 → worker on r1: p50 \(sorted[sorted.count / 2]), max \(sorted.last!) over \(sorted.count)")
        let metrics = try await servers[0].send("/metrics", token: token).text
        #expect(ExpositionSamples.value(in: metrics, "arbiter_cluster_cancel_notices_total", ["direction": "delivered"]) == "10")
    }
}

/// Redis down: the replicas keep serving from PostgreSQL (only presence and fan-out degrade), and
/// coordination comes back by itself with Redis.
@Suite(.serialized, .heavy) struct ClusterRedisOutageTests {
    @Test(
        "with Redis halted jobs still flow between replicas; presence says unreachable, then ok again after a restart",
        .enabled(if: PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun))
    func replicasServeThroughARedisOutage() async throws {
        let directory = try TemporaryDirectory(prefix: "redis-outage")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        defer { Task { await redis.stop() } }
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"))
        defer { store.drop() }
        let token = "arb_" + String(repeating: "o", count: 43)
        let tokenFile = try directory.write("admin_token", token)
        var servers: [ArbiterServer] = []
        defer { for server in servers { Task { await server.stop() } } }
        for index in 1...2 {
            servers.append(try await ArbiterServer.start(config: """
                store: \(store.url ?? "")
                cluster:
                  redis: \(redis.url)
                  replica_id: r\(index)
                auth:
                  admin_token_file: \(tokenFile)
                """))
        }
        func coordination() async throws -> (String, Int) {
            let cluster = try JSONSerialization.jsonObject(with: Data(try await servers[1].send("/api/v1/cluster", token: token).body)) as? [String: Any]
            return (cluster?["coordination"] as? String ?? "", (cluster?["replicas"] as? [Any])?.count ?? 0)
        }
        try await Polling.until("both replicas listed", timeout: .seconds(30)) { try await coordination() == ("ok", 2) }
        let worker = try WorkerProcess(server: servers[0].baseURL, token: token, id: "steady", exec: ["t": "true"], concurrency: 2)
        defer { Task { await worker.stop() } }

        let started = ContinuousClock.now
        await redis.halt()
        try await Polling.until("presence says unreachable", timeout: .seconds(30)) { try await coordination().0 == "unreachable" }
        let noticed = ContinuousClock.now - started
        var ids: [String] = []
        for _ in 0..<20 {
            let submitted = try await servers[1].post("/api/v1/jobs", json: #"{"type":"t","payload":{}}"#, token: token)
            #expect(submitted.status == 201)
            ids.append((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String ?? "")
        }
        try await Polling.until("the jobs submitted on r2 run on the worker of r1 without Redis", timeout: .seconds(60)) {
            var done = 0
            for id in ids where try await servers[1].send("/api/v1/jobs/\(id)", token: token).text.contains(#""state":"succeeded""#) { done += 1 }
            return done == ids.count
        }

        let restarted = ContinuousClock.now
        try await redis.restart()
        try await Polling.until("coordination is back", timeout: .seconds(60)) { try await coordination() == ("ok", 2) }
        print("Redis outage: noticed after \(noticed); 20 jobs ran across replicas meanwhile; coordination back \(ContinuousClock.now - restarted) after the restart")
    }
}
