import ArbiterTesting
import Foundation

/// The Redis that replicas in cluster mode coordinate through: Debian's `redis-server` on a loopback
/// port, in a temporary directory, persisting nothing. Unlike ``RedisServer``, which the tests start,
/// it gives its process id, so that the CPU time Redis spends is counted with the run's.
final class LoopbackRedis: Sendable {
    /// The scratch directory (working directory and logs).
    let directory: TemporaryDirectory
    /// The TCP port on 127.0.0.1.
    let port: Int
    private let process: ChildProcess

    /// `redis://127.0.0.1:PORT`, as `cluster.redis` takes it.
    var url: String { "redis://127.0.0.1:\(self.port)" }

    /// The server's process id (one process; its background threads are counted with it).
    var pid: Int32 { self.process.pid }

    private init(directory: TemporaryDirectory, port: Int, process: ChildProcess) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Starts a server and waits until it answers `PING`.
    /// - Throws: ``TestingError`` when `redis-server` is missing or does not answer within 30 s, with its output.
    static func start() async throws -> LoopbackRedis {
        let binary = try ExternalTool.redisServer.require()
        let directory = try TemporaryDirectory(prefix: "jobs-bench-redis")
        let port = try FreePort.next()
        let process: ChildProcess
        do {
            process = try ChildProcess(
                executable: binary,
                arguments: ["--save", "", "--appendonly", "no", "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path],
                directory: directory.path, name: "redis")
        } catch {
            directory.remove()
            throw error
        }
        let server = LoopbackRedis(directory: directory, port: port, process: process)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if let connection = try? RawConnection(address: "127.0.0.1:\(port)"),
                (try? await connection.send("PING\r\n", timeout: .seconds(1))) == true,
                let reply = try? await connection.read(timeout: .seconds(1), until: { $0.contains(UInt8(ascii: "\n")) }), reply.text.hasPrefix("+PONG")
            {
                return server
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = process.stdout + process.stderr
        await server.stop()
        throw TestingError("redis-server on port \(port) did not answer PING:\n\(output)")
    }

    /// Kills the server and removes its directory. SIGKILL, as ``RedisServer`` does: it keeps nothing
    /// worth a clean shutdown, and it inherits the blocked signals of the process that started it.
    func stop() async {
        self.process.signal(SIGKILL)
        _ = await self.process.waitForExit(timeout: .seconds(10))
        self.directory.remove()
    }
}
