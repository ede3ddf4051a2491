import ArbiterPostgres
import ArbiterStorage
import ArbiterTesting
import Foundation
import Synchronization

/// The PostgreSQL server the tests of this process share (started by the first test that needs one,
/// stopped at exit), and a fresh database on it for each test.
enum TestDatabase {
    private static let starting = Mutex<Task<PostgresServer, any Error>?>(nil)
    private static let running = Mutex<PostgresServer?>(nil)

    static func server() async throws -> PostgresServer {
        let task = self.starting.withLock { starting in
            if let starting { return starting }
            let task = Task<PostgresServer, any Error> {
                let server = try await PostgresServer.start()
                TestDatabase.running.withLock { $0 = server }
                atexit { TestDatabase.stopAtExit() }
                return server
            }
            starting = task
            return task
        }
        return try await task.value
    }

    /// A new, empty database on the shared server.
    /// - Returns: Its connection string (a URL).
    static func create() async throws -> String {
        let server = try await self.server()
        return try self.create(on: server)
    }

    /// A new, empty database on `server`.
    static func create(on server: PostgresServer) throws -> String {
        let database = "t_" + String(UInt64.random(in: 0 ... .max), radix: 16)
        let (status, output) = try server.psql(["-c", "CREATE DATABASE \(database)"])
        guard status == 0 else { throw TestingError("CREATE DATABASE failed: \(output)") }
        return "postgres://postgres@127.0.0.1:\(server.port)/\(database)"
    }

    /// A new database with Arbiter's schema.
    static func migrated() async throws -> String {
        let url = try await self.create()
        _ = try await PostgresMigrator().migrate(PostgresConfiguration(url))
        return url
    }

    private static func stopAtExit() {
        let server = self.running.withLock { running in
            defer { running = nil }
            return running
        }
        server?.stop()
    }
}
