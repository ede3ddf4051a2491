import Foundation
import Synchronization

/// A throwaway Redis (Debian's `redis-server`) on a loopback port and a Unix socket, in a temporary
/// directory, persisting nothing.
public final class RedisServer: Sendable {
    /// The scratch directory (socket, logs).
    public let directory: TemporaryDirectory
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The password clients must give (`requirepass`), if any.
    public let password: String?
    private let process: Mutex<ChildProcess?>

    /// `redis://[:password@]127.0.0.1:PORT`
    public var url: String {
        self.url(database: 0)
    }

    /// The URL of database `database`: `redis://[:password@]127.0.0.1:PORT/N`.
    public func url(database: Int) -> String {
        let credentials = self.password.map { ":\(Self.encoded($0))@" } ?? ""
        return "redis://\(credentials)127.0.0.1:\(self.port)" + (database == 0 ? "" : "/\(database)")
    }

    /// The Unix socket's path.
    public var socketPath: String { self.directory.file("redis.sock") }

    /// `unix:///…/redis.sock[?password=…]`
    public var unixSocketURL: String {
        "unix://\(self.socketPath)" + (self.password.map { "?password=\(Self.encoded($0))" } ?? "")
    }

    private init(directory: TemporaryDirectory, port: Int, password: String?) {
        self.directory = directory
        self.port = port
        self.password = password
        self.process = Mutex(nil)
    }

    /// Starts a server and waits until it answers `PING`.
    /// - Parameter password: What clients must authenticate with (`--requirepass`); none if `nil`.
    /// - Throws: ``TestingError`` when `redis-server` is missing or does not start, with its log.
    public static func start(password: String? = nil) async throws -> RedisServer {
        let server = RedisServer(directory: try TemporaryDirectory(prefix: "redis"), port: try FreePort.next(), password: password)
        do {
            try await server.launch()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// Kills the server (SIGKILL: every connection drops at once, as in a crash); ``restart()`` brings
    /// it back, empty.
    public func halt() async {
        guard let process = self.process.withLock({ $0 }) else { return }
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(10))
    }

    /// Stops the server answering without closing anything (SIGSTOP): connections stay open and new
    /// ones are still accepted by the kernel, but nothing is read or answered until ``thaw()``.
    public func freeze() {
        self.process.withLock { $0 }?.signal(SIGSTOP)
    }

    /// Lets a frozen server go on (SIGCONT).
    public func thaw() {
        self.process.withLock { $0 }?.signal(SIGCONT)
    }

    /// Starts a halted (or running) server again on the same port and socket. It comes back empty: no
    /// keys, no scripts.
    /// - Throws: ``TestingError`` when it does not start.
    public func restart() async throws {
        await self.halt()
        try await self.launch()
    }

    /// Stops the server and removes its directory. It is killed (SIGKILL): it keeps nothing worth a clean
    /// shutdown, and it would not see a SIGTERM soon: it inherits the test process's blocked signals
    /// and, unlike Go programs, does not unblock them.
    public func stop() async {
        await self.halt()
        self.process.withLock { $0 = nil }
        self.directory.remove()
    }

    private func launch() async throws {
        let binary = try ExternalTool.redisServer.require()
        var arguments = [
            "--save", "", "--appendonly", "no", "--port", "\(self.port)", "--bind", "127.0.0.1", "--dir", self.directory.path,
            "--unixsocket", self.socketPath, "--unixsocketperm", "700",
        ]
        if let password = self.password { arguments += ["--requirepass", password] }
        let process = try ChildProcess(executable: binary, arguments: arguments, directory: self.directory.path, name: "redis")
        self.process.withLock { $0 = process }
        try await self.waitUntilAnswering(process)
    }

    /// Sends `PING` until the server answers (`+PONG`, or `-NOAUTH` when it wants a password first).
    private func waitUntilAnswering(_ process: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if let connection = try? RawConnection(address: "127.0.0.1:\(self.port)"),
                (try? await connection.send("PING\r\n", timeout: .seconds(1))) == true,
                let reply = try? await connection.read(timeout: .seconds(1), until: { $0.contains(UInt8(ascii: "\n")) }),
                reply.text.hasPrefix("+PONG") || reply.text.hasPrefix("-NOAUTH")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestingError("redis-server on port \(self.port) did not answer PING:\n\(process.stdout)\(process.stderr)")
    }

    private static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}
