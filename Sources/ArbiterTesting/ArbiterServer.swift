import Foundation
import NIOHTTP1

/// A real `arbiter serve` process for tests: JSON logs, a temporary data directory, a kernel-picked
/// port read back from its "ready" log line, and its jobs in SQLite (the default) or in a database of
/// its own on PostgreSQL.
public final class ArbiterServer: Sendable {
    /// The running process.
    public let process: ChildProcess
    /// The test's scratch directory (data dir, config files, logs).
    public let directory: TemporaryDirectory
    /// `127.0.0.1:PORT` as the server reported it.
    public let address: String
    /// The admin token the server wrote to `<data-dir>/admin.token` on first start.
    public let adminToken: String
    /// Where it keeps its jobs.
    public let store: Store
    /// Whether ``stop()`` drops the store's PostgreSQL database: one made for this server alone.
    private let dropsDatabase: Bool

    /// `http://127.0.0.1:PORT`
    public var baseURL: String { "http://\(self.address)" }

    /// The `arbiter` executable built next to the test bundle (or `$ARBITER_BINARY`).
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["ARBITER_BINARY"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // The test runner may sit inside a bundle directory; walk up to the build products folder.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("arbiter").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return runner.deletingLastPathComponent().appendingPathComponent("arbiter").path
    }

    private init(process: ChildProcess, directory: TemporaryDirectory, address: String, adminToken: String, store: Store, dropsDatabase: Bool) {
        self.process = process
        self.directory = directory
        self.address = address
        self.adminToken = adminToken
        self.store = store
        self.dropsDatabase = dropsDatabase
    }

    /// Starts `arbiter serve` on a free loopback port and waits until it reports ready.
    ///
    /// On PostgreSQL the server gets a new database, or, given a `dataDirectory` an earlier server on
    /// PostgreSQL used, that server's database: a restart on the same data directory is a restart on
    /// the same store, as it is on SQLite.
    /// - Parameters:
    ///   - arguments: Extra arguments after `serve`.
    ///   - environment: Extra environment variables.
    ///   - config: YAML written to `arbiter.yaml` and passed with `--config`.
    ///   - dataDirectory: The data directory to use (to restart on the same store); a fresh one if `nil`.
    ///   - listen: The address (to restart on the same port); a kernel-picked port if not given.
    ///   - store: SQLite in the data directory, or PostgreSQL (passed as `--store`).
    ///   - postgres: The PostgreSQL server for a `.postgres` store; the one the test process shares
    ///     (``SharedPostgres``) if `nil`.
    /// - Returns: The running server.
    /// - Throws: ``TestingError`` when it exits or is not ready within 30 seconds, or its database
    ///   cannot be made.
    public static func start(
        arguments: [String] = [], environment: [String: String] = [:], config: String? = nil, dataDirectory: String? = nil,
        listen: String = "127.0.0.1:0", store kind: StoreKind = .sqlite, postgres: PostgresServer? = nil
    ) async throws -> ArbiterServer {
        let directory = try TemporaryDirectory(prefix: "arbiter-serve")
        let data = dataDirectory ?? directory.file("data")
        let store: Store
        do {
            store = try await Store.prepare(kind, dataDirectory: data, reusable: dataDirectory != nil, postgres: postgres)
        } catch {
            directory.remove()
            throw error
        }
        // A database made for this server alone goes with it; one a data directory names is kept for
        // the servers that restart on it.
        let dropsDatabase = dataDirectory == nil
        do {
            var all = ["serve", "--listen", listen, "--data-dir", data, "--log-format", "json"]
            if let url = store.url {
                all += ["--store", url]
            }
            if let config {
                all += ["--config", try directory.write("arbiter.yaml", config)]
            }
            all += arguments
            let process = try ChildProcess(executable: self.binary, arguments: all, environment: environment, directory: directory.path, name: "arbiter")
            let log: String
            do {
                log = try await process.waitForStderr(timeout: .seconds(30)) { $0.contains("\"msg\":\"arbiter is ready\"") }
            } catch {
                await process.stop()
                throw error
            }
            guard let address = Self.readyAddress(in: log) else {
                await process.stop()
                throw TestingError("no address in the ready line:\n\(log)")
            }
            let tokenFile = URL(fileURLWithPath: data).appendingPathComponent("admin.token").path
            let token = ((try? String(contentsOfFile: tokenFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return ArbiterServer(process: process, directory: directory, address: address, adminToken: token, store: store, dropsDatabase: dropsDatabase)
        } catch {
            if dropsDatabase { store.drop() }
            throw error
        }
    }

    /// Stops the server (SIGTERM) and removes its directory, and the PostgreSQL database made for it
    /// alone (not one a data directory it was given names).
    public func stop() async {
        await self.process.stop()
        self.directory.remove()
        if self.dropsDatabase { self.store.drop() }
    }

    /// The log lines written so far, each decoded from JSON.
    public var logLines: [[String: String]] {
        self.process.stderr.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    static func readyAddress(in log: String) -> String? {
        for line in log.split(separator: "\n") where line.contains("\"msg\":\"arbiter is ready\"") {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] {
                return object["address"]
            }
        }
        return nil
    }
}

extension ArbiterServer {
    /// Sends a request to `path` as the admin, or with `token` (`""` for no token at all).
    public func send(
        _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: [UInt8]? = nil, token: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> HTTPProbe.Response {
        let token = token ?? self.adminToken
        let auth = token.isEmpty ? [] : [("Authorization", "Bearer \(token)")]
        return try await HTTPProbe.send(self.baseURL + path, method: method, headers: auth + headers, body: body, timeout: timeout)
    }

    /// `GET path` as the admin.
    public func get(_ path: String, headers: [(String, String)] = []) async throws -> HTTPProbe.Response {
        try await self.send(path, headers: headers)
    }

    /// Creates an API token through the API and returns it.
    public func createToken(name: String, role: String, workerID: String? = nil) async throws -> String {
        let worker = workerID.map { #","worker_id":"\#($0)""# } ?? ""
        let response = try await self.post("/api/v1/tokens", json: #"{"name":"\#(name)","role":"\#(role)"\#(worker)}"#)
        guard response.status == 201, let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let token = object["token"] as? String
        else {
            throw TestingError("creating token \(name) answered \(response.status): \(response.text)")
        }
        return token
    }

    /// `POST path` with a JSON body, as the admin or with `token`, answered within `timeout`.
    public func post(_ path: String, json: String, token: String? = nil, timeout: Duration = .seconds(10)) async throws -> HTTPProbe.Response {
        try await self.send(path, method: .POST, headers: [("Content-Type", "application/json")], body: Array(json.utf8), token: token, timeout: timeout)
    }
}

extension ArbiterServer {
    /// What a finished `arbiter` command printed.
    public struct CommandResult: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs an `arbiter` command to completion (or kills it after `timeout`).
    /// - Parameters:
    ///   - arguments: The command line after `arbiter`.
    ///   - environment: Extra environment variables.
    ///   - directory: Working directory.
    ///   - timeout: How long it may run.
    /// - Returns: Exit status and output; status -1 when it had to be killed.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: TemporaryDirectory, timeout: Duration = .seconds(30)
    ) async throws -> CommandResult {
        let process = try ChildProcess(executable: self.binary, arguments: arguments, environment: environment, directory: directory.path, name: "command")
        let status = await process.waitForExit(timeout: timeout)
        if status == nil { await process.stop() }
        return CommandResult(status: status ?? -1, stdout: process.stdout, stderr: process.stderr)
    }
}

extension ArbiterServer {
    /// Starts a server (see ``start(arguments:environment:config:dataDirectory:listen:store:postgres:)``),
    /// runs `body` with it and stops it afterwards, whether `body` throws or not.
    public static func with<T>(
        arguments: [String] = [], environment: [String: String] = [:], config: String? = nil, dataDirectory: String? = nil,
        store: StoreKind = .sqlite, postgres: PostgresServer? = nil, _ body: (ArbiterServer) async throws -> T
    ) async throws -> T {
        let server = try await ArbiterServer.start(
            arguments: arguments, environment: environment, config: config, dataDirectory: dataDirectory, store: store, postgres: postgres)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
