import Foundation

/// A real `arbiter worker --exec …` process for tests, logging JSON to its own directory.
public final class WorkerProcess: Sendable {
    public let process: ChildProcess
    public let directory: TemporaryDirectory
    public let id: String

    /// Starts a worker.
    /// - Parameters:
    ///   - server: The server's base URL.
    ///   - id: The worker id.
    ///   - exec: Job type → shell command.
    ///   - concurrency: Jobs at once.
    ///   - token: Sent as `ARBITER_TOKEN`.
    public init(server: String, token: String, id: String, exec: [String: String], concurrency: Int = 1, extraArguments: [String] = []) throws {
        self.id = id
        self.directory = try TemporaryDirectory(prefix: "arbiter-worker")
        var arguments = ["worker", "--server", server, "--id", id, "--concurrency", String(concurrency), "--log-format", "json"]
        for (type, command) in exec.sorted(by: { $0.key < $1.key }) { arguments += ["--exec", "\(type)=\(command)"] }
        self.process = try ChildProcess(
            executable: ArbiterServer.binary, arguments: arguments + extraArguments, environment: ["ARBITER_TOKEN": token],
            directory: self.directory.path, name: "worker")
    }

    /// Starts a worker on `server` with its admin token.
    public convenience init(server: ArbiterServer, id: String, exec: [String: String], concurrency: Int = 1, extraArguments: [String] = []) throws {
        try self.init(server: server.baseURL, token: server.adminToken, id: id, exec: exec, concurrency: concurrency, extraArguments: extraArguments)
    }

    /// The log lines written so far, each decoded from JSON.
    public var logLines: [[String: String]] {
        self.process.stderr.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    /// Waits until a log line matches, or throws after `timeout`.
    public func waitForLog(timeout: Duration = .seconds(30), _ matches: @escaping @Sendable ([String: String]) -> Bool) async throws {
        do {
            try await Polling.until("worker \(self.id) logs a matching line", timeout: timeout) { self.logLines.contains(where: matches) }
        } catch {
            throw TestingError("worker \(self.id): no matching log line within \(timeout):\n\(self.process.stderr)")
        }
    }

    /// SIGTERM, then removes its directory.
    public func stop() async {
        await self.process.stop()
        self.directory.remove()
    }
}
