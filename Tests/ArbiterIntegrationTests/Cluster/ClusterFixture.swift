import ArbiterTesting
import Foundation
import Synchronization
import Testing

/// Replicas in cluster mode on one PostgreSQL database and one Redis, all on loopback, sharing the
/// admin token `auth.admin_token_file` gives the first of them; stopped and removed afterwards.
struct ClusterFixture {
    let directory: TemporaryDirectory
    let redis: RedisServer
    /// The PostgreSQL database the replicas share (its SQL helpers read it directly).
    let store: ArbiterServer.Store
    let token: String
    let servers: [ArbiterServer]
    /// The worker processes ``worker(_:on:exec:concurrency:)`` started, stopped when the fixture ends
    /// however the test ended (one that threw left them retrying dead replicas).
    let workers = StartedWorkers()

    final class StartedWorkers: Sendable {
        private let started = Mutex<[WorkerProcess]>([])
        func add(_ worker: WorkerProcess) { self.started.withLock { $0.append(worker) } }
        func stopAll() async {
            for worker in self.started.withLock({ $0 }) { await worker.stop() }
        }
    }

    /// Whether the servers the fixture needs are there (or required).
    static var canRun: Bool { PostgresServer.shouldRun && ExternalTool.redisServer.shouldRun }

    /// Starts `replicas` replicas named `r1`, `r2`…, each with `extra` YAML, and runs `body`.
    /// - Parameters:
    ///   - auth: YAML lines under `auth:` (indented two spaces).
    ///   - postgres: A server of the test's own (one it may halt); the process's shared one if `nil`.
    static func with(
        replicas: Int, extra: String = "", auth: String = "", postgres: PostgresServer? = nil, _ body: (ClusterFixture) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "cluster")
        defer { directory.remove() }
        let redis = try await RedisServer.start()
        let store = try await ArbiterServer.Store.make(.postgres, dataDirectory: directory.file("store"), postgres: postgres)
        let token = "arb_" + String((0..<43).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        var servers: [ArbiterServer] = []
        do {
            let tokenFile = try directory.write("admin_token", token)
            for index in 1...replicas {
                servers.append(try await ArbiterServer.start(config: """
                    store: \(store.url ?? "")
                    cluster:
                      redis: \(redis.url)
                      replica_id: r\(index)
                    auth:
                      admin_token_file: \(tokenFile)
                    \(auth)
                    \(extra)
                    """))
            }
            let fixture = ClusterFixture(directory: directory, redis: redis, store: store, token: token, servers: servers)
            do {
                try await body(fixture)
            } catch {
                Issue.record(error)
            }
            await fixture.workers.stopAll()
        } catch {
            Issue.record(error)
        }
        for server in servers { await server.stop() }
        await redis.stop()
        store.drop()
    }

    /// A request's JSON answer from replica `index` (0-based).
    func json(_ index: Int, _ path: String) async throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try await self.servers[index].send(path, token: self.token).body)) as? [String: Any] ?? [:]
    }

    /// Submits a job of type `t` on replica `index`.
    /// - Returns: Its id.
    func submit(on index: Int) async throws -> String {
        let submitted = try await self.servers[index].post("/api/v1/jobs", json: #"{"type":"t","payload":{}}"#, token: self.token)
        #expect(submitted.status == 201, "\(submitted.text)")
        return try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
    }

    /// Waits until replica `index` reads job `id` in `state`.
    func waitForState(_ id: String, _ state: String, on index: Int, timeout: Duration = .seconds(30)) async throws {
        try await Polling.until("job \(id) is \(state)", timeout: timeout) {
            try await self.json(index, "/api/v1/jobs/\(id)")["state"] as? String == state
        }
    }

    /// A worker process on the given replicas' URLs, connected to the first of them.
    func worker(_ id: String, on indexes: [Int], exec: [String: String], concurrency: Int = 1) async throws -> WorkerProcess {
        let worker = try WorkerProcess(
            server: indexes.map { self.servers[$0].baseURL }.joined(separator: ","), token: self.token, id: id, exec: exec, concurrency: concurrency)
        self.workers.add(worker)
        let first = self.servers[indexes[0]].address
        try await worker.waitForLog { $0["msg"] == "connected" && $0["url"]?.contains(first) == true }
        return worker
    }
}
