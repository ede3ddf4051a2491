import Foundation
import Synchronization

/// The PostgreSQL server a test process shares: started by the first test that needs it, each test in
/// a database of its own, stopped when the process exits (a process that crashes leaves it running in
/// its temporary directory).
///
/// - Important: Nothing may halt or restart it: tests of a database going away start a
///   ``PostgresServer`` of their own.
public enum SharedPostgres {
    private static let starting = Mutex<Task<PostgresServer, any Error>?>(nil)
    private static let running = Mutex<PostgresServer?>(nil)

    /// The shared server, started on first use.
    /// - Throws: ``TestingError`` when it cannot be started (or was not, by the first caller).
    public static func server() async throws -> PostgresServer {
        let task = self.starting.withLock { starting in
            if let starting { return starting }
            let task = Task<PostgresServer, any Error> {
                let server = try await PostgresServer.start()
                SharedPostgres.running.withLock { $0 = server }
                atexit { SharedPostgres.stopAtExit() }
                return server
            }
            starting = task
            return task
        }
        return try await task.value
    }

    private static func stopAtExit() {
        let server = self.running.withLock { running in
            defer { running = nil }
            return running
        }
        server?.stop()
    }

    /// The URL of `database` on `server`, as the `postgres` superuser.
    public static func url(_ server: PostgresServer, _ database: String) -> String {
        "postgresql://postgres@127.0.0.1:\(server.port)/\(database)"
    }

    /// Creates a new, empty database on `server`.
    /// - Returns: Its name.
    /// - Throws: ``TestingError`` when `CREATE DATABASE` fails.
    public static func createDatabase(on server: PostgresServer) async throws -> String {
        let database = "t_" + String(UInt64.random(in: 0 ... .max), radix: 16)
        _ = try await self.psql(server, database: "postgres", ["-c", "CREATE DATABASE \(database)"])
        return database
    }

    /// Drops a database, ending any connection still open to it, on a thread of its own without
    /// waiting (a test's `defer` calls it); errors are ignored.
    public static func dropDatabase(_ database: String, on server: PostgresServer) {
        Thread {
            _ = try? Spawn.runBlocking(server.psqlCommand(["-d", "postgres", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"]))
        }.start()
    }

    /// Runs `psql` on `database` (a later `-d` overrides the `postgres` the server passes).
    /// - Returns: What it printed.
    /// - Throws: ``TestingError`` with that output when it fails.
    public static func psql(_ server: PostgresServer, database: String, _ arguments: [String]) async throws -> String {
        let (status, output) = try await server.psql(["-d", database] + arguments)
        guard status == 0 else { throw TestingError("psql on \(database) failed (\(status)): \(output)") }
        return output
    }
}
