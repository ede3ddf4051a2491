import ArbiterStorage
import NIOPosix

/// Brings a PostgreSQL database's schema up to date: applies every migration not yet recorded in
/// `schema_migrations`, each in its own transaction, in version order, holding an advisory lock so
/// that processes starting at once do not both migrate (the second waits, then finds nothing to do).
public struct PostgresMigrator: Sendable {
    /// What a run did.
    public typealias Report = MigrationReport

    let migrator: Migrator

    /// - Parameter migrations: The sequence to apply (Arbiter's own by default).
    public init(migrations: [Migration] = Migrations.postgres) {
        self.migrator = Migrator(migrations: migrations)
    }

    /// Applies what is pending.
    /// - Parameter connection: An open connection, used on the calling thread (which must not be the
    ///   Swift concurrency pool's).
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``MigrationError`` when a migration fails (its transaction is rolled back, earlier ones
    ///   stay), an applied migration no longer matches the one shipped (naming it), or the database was
    ///   written by a newer Arbiter (naming its version).
    public func migrate(_ connection: PostgresConnection) throws(MigrationError) -> Report {
        try self.migrator.migrate(PostgresMigrationDatabase(connection: connection))
    }

    /// Connects, applies what is pending and disconnects, on a thread of its own. Statements have no
    /// time limit here: a migration may rewrite a large table.
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``PostgresError`` when the database cannot be reached; ``MigrationError`` as the
    ///   form that takes a connection does.
    public func migrate(_ configuration: PostgresConfiguration) async throws -> Report {
        var configuration = configuration
        configuration.statementTimeout = nil
        configuration.responseTimeout = nil
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            let report = try await thread.runIfActive { [configuration] in try self.migrate(PostgresConnection(configuration)) }
            try await thread.shutdownGracefully()
            return report
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }
}

/// A PostgreSQL connection as the migrator uses it.
struct PostgresMigrationDatabase: MigrationDatabase {
    let connection: PostgresConnection

    /// The session advisory lock held while migrating: "Arbiter" in ASCII, then 2. Released when
    /// migrating ends, or by PostgreSQL if the process dies first.
    static let lockKey: Int64 = 0x4172_6269_7465_7202

    func whileMigrating<T>(_ body: () throws -> T) throws -> T {
        try self.connection.query("SELECT pg_advisory_lock($1)", [.int64(Self.lockKey)])
        defer { _ = try? self.connection.query("SELECT pg_advisory_unlock($1)", [.int64(Self.lockKey)]) }
        return try body()
    }

    func createMigrationTable() throws {
        try self.connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)
            """)
    }

    func recordedMigrations() throws -> [Int: String] {
        var recorded: [Int: String] = [:]
        for row in try self.connection.query("SELECT version, checksum FROM schema_migrations") {
            if let version = row[0].int64 { recorded[Int(version)] = row[1].text ?? "" }
        }
        return recorded
    }

    func apply(_ migration: Migration, appliedAt: Int64) throws {
        try self.connection.execute("BEGIN")
        do {
            try self.connection.execute(migration.sql)
            try self.connection.query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                [.int64(Int64(migration.version)), .text(migration.name), .text(migration.checksum), .int64(appliedAt)])
            let tag = try self.connection.execute("COMMIT")
            guard tag == "COMMIT" else { throw PostgresError(sqlState: "40000", message: "the migration's transaction was rolled back (\(tag))") }
        } catch {
            if !self.connection.isBroken { _ = try? self.connection.execute("ROLLBACK") }
            throw error
        }
    }
}
