import Foundation

/// A throwaway PostgreSQL cluster (Debian's `postgresql` package) on a loopback port, in a temporary
/// directory, with trust authentication and fsync off.
public final class PostgresServer: Sendable {
    /// The scratch directory (data, socket, log).
    public let directory: TemporaryDirectory
    /// The TCP port on 127.0.0.1.
    public let port: Int
    private let binaries: String

    /// libpq connection string for the `postgres` superuser.
    public var connectionString: String { "host=127.0.0.1 port=\(self.port) user=postgres dbname=postgres" }

    /// Where Debian installs the server programs, if it does.
    public static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() ?? []
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// Whether tests needing PostgreSQL should run (installed, or required by the environment).
    public static var shouldRun: Bool {
        self.binaries != nil || ProcessInfo.processInfo.environment["ARBITER_REQUIRE_SERVERS"] == "1"
    }

    private init(directory: TemporaryDirectory, port: Int, binaries: String) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
    }

    /// Creates and starts a cluster.
    /// - Throws: ``TestingError`` with the server's output when it does not start.
    public static func start() async throws -> PostgresServer {
        guard let binaries = self.binaries else { throw TestingError("PostgreSQL is not installed (scripts/install-deps installs it)") }
        let directory = try TemporaryDirectory(prefix: "postgres")
        let port = try FreePort.next()
        let server = PostgresServer(directory: directory, port: port, binaries: binaries)
        // initdb refuses to run as root; the cluster belongs to the postgres user then.
        try await server.runAsOwner(["\(binaries)/initdb", "-D", directory.file("data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        try await server.launch()
        return server
    }

    /// Stops the server as a crash would (`pg_ctl stop -m immediate`: every connection drops at once),
    /// keeping its data; ``restart()`` brings it back.
    /// - Throws: ``TestingError`` with the server's output when it does not stop.
    public func halt() async throws {
        try await self.runAsOwner(["\(self.binaries)/pg_ctl", "-D", self.directory.file("data"), "-m", "immediate", "-w", "-s", "stop"])
    }

    /// Starts a halted server again, on the same port and data.
    /// - Throws: ``TestingError`` with the server's output when it does not start.
    public func restart() async throws {
        try await self.launch()
    }

    private func launch() async throws {
        // Room for the connections of every test a process runs at once on one shared server (each
        // store holds a pool and a listener), over PostgreSQL's default of 100.
        try await self.runAsOwner([
            "\(self.binaries)/pg_ctl", "-D", self.directory.file("data"), "-l", self.directory.file("postgres.log"), "-w", "-s",
            "-o", "-p \(self.port) -k \(self.directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", "start",
        ])
    }

    /// Runs `psql` with `ON_ERROR_STOP` against the cluster.
    /// - Returns: Exit status and output.
    public func psql(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Spawn.run(self.psqlCommand(arguments))
    }

    /// The `psql` command line that ``psql(_:)`` runs.
    func psqlCommand(_ arguments: [String]) -> [String] {
        ["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(self.port)", "-U", "postgres", "-d", "postgres"] + arguments
    }

    /// Stops the cluster and removes its directory.
    public func stop() {
        _ = try? self.runAsOwnerBlocking(["\(self.binaries)/pg_ctl", "-D", self.directory.file("data"), "-m", "immediate", "-w", "-s", "stop"])
        self.directory.remove()
    }

    private func runAsOwner(_ command: [String]) async throws {
        try await Spawn.onOwnThread { try self.runAsOwnerBlocking(command) }
    }

    private func runAsOwnerBlocking(_ command: [String]) throws {
        var full = command
        if getuid() == 0 {
            _ = try Spawn.runBlocking(["/bin/chown", "-R", "postgres:postgres", self.directory.path])
            full = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command
        }
        let (status, output) = try Spawn.runBlocking(full)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: self.directory.file("postgres.log"), encoding: .utf8)) ?? ""
            throw TestingError("\(command.first ?? "") failed (\(status)): \(output)\n\(log)")
        }
    }
}
