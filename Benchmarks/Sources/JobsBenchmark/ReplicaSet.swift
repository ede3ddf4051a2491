import ArbiterTesting
import Foundation

/// Arbiter daemons (`serve`, the release build of `arbiter serve`) on one PostgreSQL database, each on
/// a loopback port and with a data directory of its own, all with the admin token that
/// `auth.admin_token_file` gives the first. Given a Redis they run in cluster mode as replicas `r1`,
/// `r2`, …; without one there is a single daemon, configured as shipped.
struct ReplicaSet {
    /// The daemons, in order.
    let daemons: [ChildProcess]
    /// Each daemon's API, in the same order.
    let sessions: [Session]
    /// Whether they run in cluster mode.
    let clustered: Bool

    /// The daemons' process ids, for their CPU time.
    var pids: [Int32] { self.daemons.map(\.pid) }

    /// The job types every daemon is configured with: the drain's and the cancel measurement's.
    static let jobTypes = """
        job_types:
          noop:
            max_attempts: 3
          \(BenchHoldingWorker.jobType):
            max_attempts: 1
        """

    /// Starts the daemons one after the other (the first migrates the empty database), each once the
    /// one before answers ready.
    /// - Parameters:
    ///   - count: How many; more than one needs `redis`.
    ///   - store: The `postgresql://` URL of the database they share.
    ///   - redis: The Redis of cluster mode, or `nil` for a single daemon as shipped.
    ///   - directory: Where their configurations, data directories and logs go.
    /// - Throws: ``TestingError`` when one does not become ready (those started are stopped first).
    static func start(count: Int, store: String, redis: LoopbackRedis?, directory: TemporaryDirectory) async throws -> ReplicaSet {
        guard count == 1 || redis != nil else { throw TestingError("\(count) replicas need cluster mode, and so a Redis") }
        let token = "arb_" + String((0..<43).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let tokenFile = try directory.write("admin_token", token)
        var daemons: [ChildProcess] = []
        var sessions: [Session] = []
        do {
            for index in 1...count {
                let cluster = redis.map { "cluster:\n  redis: \($0.url)\n  replica_id: r\(index)\n" } ?? ""
                let config = try directory.write(
                    "r\(index).yaml",
                    "store: \"\(store)\"\nlog:\n  level: warning\nauth:\n  admin_token_file: \(tokenFile)\n\(cluster)\(Self.jobTypes)\n")
                let port = try FreePort.next()
                let base = "http://127.0.0.1:\(port)"
                let daemon = try ChildProcess(
                    executable: CommandLine.arguments[0], arguments: ["serve", config, "127.0.0.1:\(port)", directory.file("r\(index)-data")],
                    directory: directory.path, name: "r\(index)")
                daemons.append(daemon)
                try await Polling.until("replica r\(index) is ready", timeout: .seconds(60), interval: .milliseconds(20)) {
                    guard daemon.isRunning else { throw TestingError("replica r\(index) exited: \(daemon.stderr)") }
                    return (try? await HTTPProbe.get(base + "/readyz").status) == 200
                }
                sessions.append(Session(base: base, token: token, gated: false))
            }
        } catch {
            for daemon in daemons { await daemon.stop() }
            throw error
        }
        return ReplicaSet(daemons: daemons, sessions: sessions, clustered: redis != nil)
    }

    /// The workers each replica holds, by replica id, as `GET /api/v1/cluster` on the first shows them
    /// (the others' as they last announced themselves), and whether coordination is `ok`.
    func clusterView() async throws -> (coordination: String, workers: [String: [String]]) {
        let response = try await self.sessions[0].send("/api/v1/cluster")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        var workers: [String: [String]] = [:]
        for replica in object["replicas"] as? [[String: Any]] ?? [] {
            if let id = replica["id"] as? String { workers[id] = replica["workers"] as? [String] ?? [] }
        }
        return (object["coordination"] as? String ?? "", workers)
    }

    /// The store's group commits so far and the operations run in them, summed over the daemons
    /// (`arbiter_store_commits_total`, `arbiter_store_operations_total`).
    func storeCounters() async throws -> (commits: Double, operations: Double) {
        var commits = 0.0
        var operations = 0.0
        for session in self.sessions {
            let text = try await session.send("/metrics").text
            commits += Double(ExpositionSamples.value(in: text, "arbiter_store_commits_total") ?? "") ?? .nan
            operations += Double(ExpositionSamples.value(in: text, "arbiter_store_operations_total") ?? "") ?? .nan
        }
        return (commits, operations)
    }

    /// Stops the daemons (SIGTERM, then SIGKILL after 10 s), the last first.
    func stop() async {
        for daemon in self.daemons.reversed() { await daemon.stop() }
    }
}
