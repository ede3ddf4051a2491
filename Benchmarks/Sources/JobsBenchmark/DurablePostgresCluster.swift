import ArbiterTesting
import Foundation

/// The PostgreSQL cluster that Arbiter and pgqueuer share with `--store postgres`: Debian's PostgreSQL
/// in a temporary directory on a loopback port, trust authentication, and the durable settings
/// PostgreSQL ships with (`fsync`, `synchronous_commit` and `full_page_writes` on), given on the
/// server's command line so that no configuration file can turn them off.
///
/// ``PostgresServer``, which the tests start, runs with `fsync` off: commits there cost no flush, so it
/// cannot serve a comparison with a store that flushes every commit.
final class DurablePostgresCluster: Sendable {
    /// The scratch directory (data, socket, log).
    let directory: TemporaryDirectory
    /// The TCP port on 127.0.0.1.
    let port: Int
    private let binaries: String

    private init(directory: TemporaryDirectory, port: Int, binaries: String) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
    }

    /// Starts a cluster, runs `body` with it, and stops and removes it, whether `body` throws or not.
    /// - Returns: What `body` returns.
    /// - Throws: What `start()` or `body` throws.
    static func with<T>(_ body: (DurablePostgresCluster) async throws -> T) async throws -> T {
        let cluster = try await self.start()
        let result: Result<T, any Error>
        do {
            result = .success(try await body(cluster))
        } catch {
            result = .failure(error)
        }
        await cluster.stop()
        return try result.get()
    }

    /// Creates and starts a cluster.
    /// - Throws: ``TestingError`` with the server's output when it does not start.
    static func start() async throws -> DurablePostgresCluster {
        guard let binaries = PostgresServer.binaries else { throw TestingError("PostgreSQL is not installed (scripts/install-deps installs it)") }
        let port = try FreePort.next()
        let directory = try TemporaryDirectory(prefix: "postgres-durable")
        let cluster = DurablePostgresCluster(directory: directory, port: port, binaries: binaries)
        do {
            // `--no-sync` only skips initdb's own flush of the files it writes; the server's commits are
            // flushed as the settings below say.
            try await cluster.runAsOwner([
                "\(binaries)/initdb", "-D", directory.file("data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
            ])
            try await cluster.runAsOwner([
                "\(binaries)/pg_ctl", "-D", directory.file("data"), "-l", directory.file("postgres.log"), "-w", "-s", "-o",
                "-p \(cluster.port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on",
                "start",
            ])
        } catch {
            directory.remove()
            throw error
        }
        return cluster
    }

    /// A `postgresql://` URL for the `postgres` superuser and `database`.
    func url(database: String) -> String {
        "postgresql://postgres@127.0.0.1:\(self.port)/\(database)"
    }

    /// Runs one SQL statement with `psql` as the `postgres` superuser.
    /// - Returns: What it printed, trimmed: rows one a line, fields separated by `|`, no headers.
    /// - Throws: ``TestingError`` with psql's output when the statement fails.
    @discardableResult
    func psql(_ statement: String, database: String = "postgres") async throws -> String {
        let local = "\(self.binaries)/psql"
        let program = FileManager.default.isExecutableFile(atPath: local) ? local : "/usr/bin/psql"
        let (status, output) = try await Spawn.run([
            program, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(self.port)", "-U", "postgres", "-d", database,
            "-c", statement,
        ])
        guard status == 0 else { throw TestingError("psql failed (\(status)) on \(statement): \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the pgqueuer script does before each of its phases, for one database: dead rows vacuumed,
    /// statistics refreshed, and a checkpoint, so that none falls into the measured window.
    func settle(database: String) async throws {
        try await self.psql("VACUUM (ANALYZE)", database: database)
        try await self.psql("CHECKPOINT", database: database)
    }

    /// The server's values of `names` (`current_setting`), by name.
    /// - Throws: ``TestingError`` when psql fails or answers something else.
    func settings(_ names: [String]) async throws -> [String: String] {
        let output = try await self.psql("SELECT " + names.map { "current_setting('\($0)')" }.joined(separator: ", "))
        let values = output.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard values.count == names.count else { throw TestingError("unexpected answer to the settings query: \(output)") }
        return Dictionary(uniqueKeysWithValues: zip(names, values))
    }

    /// The type of the file system the data directory is on (`stat -f`): commits are flushed to it.
    var fileSystem: String {
        get async {
            guard let result = try? await Spawn.run(["/usr/bin/stat", "-f", "-c", "%T", self.directory.path]), result.status == 0 else {
                return "unknown"
            }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The postmaster's process id, the first line of `postmaster.pid`.
    /// - Throws: ``TestingError`` when the file cannot be read.
    func postmasterPID() throws -> Int32 {
        let path = self.directory.file("data/postmaster.pid")
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)) else {
            throw TestingError("cannot read the postmaster's pid from \(path)")
        }
        return pid
    }

    /// Stops the cluster at once and removes its directory.
    func stop() async {
        _ = try? await self.runAsOwner(["\(self.binaries)/pg_ctl", "-D", self.directory.file("data"), "-m", "immediate", "-w", "-s", "stop"])
        self.directory.remove()
    }

    /// Runs a server program as the cluster's owner: initdb and the server refuse to run as root, so
    /// under root the directory is handed to the `postgres` user and the program runs as that user.
    private func runAsOwner(_ command: [String]) async throws {
        var full = command
        if getuid() == 0 {
            _ = try await Spawn.run(["/bin/chown", "-R", "postgres:postgres", self.directory.path])
            full = ["/usr/sbin/runuser", "-u", "postgres", "--"] + command
        }
        let (status, output) = try await Spawn.run(full)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: self.directory.file("postgres.log"), encoding: .utf8)) ?? ""
            throw TestingError("\(command.first ?? "") failed (\(status)): \(output)\n\(log)")
        }
    }
}
