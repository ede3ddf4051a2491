import ArbiterPostgres
import ArbiterStorage
import ArbiterTesting
import Foundation

/// The PostgreSQL server the tests of this process share (``SharedPostgres``), and a fresh database
/// on it for each test.
enum TestDatabase {
    static func server() async throws -> PostgresServer {
        try await SharedPostgres.server()
    }

    /// A new, empty database on the shared server.
    /// - Returns: Its connection string (a URL).
    static func create() async throws -> String {
        let server = try await self.server()
        return try await self.create(on: server)
    }

    /// A new, empty database on `server`.
    static func create(on server: PostgresServer) async throws -> String {
        SharedPostgres.url(server, try await SharedPostgres.createDatabase(on: server))
    }

    /// A new database with Arbiter's schema.
    static func migrated() async throws -> String {
        let url = try await self.create()
        _ = try await PostgresMigrator().migrate(PostgresConfiguration(url))
        return url
    }
}
