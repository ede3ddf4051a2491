/// Brings a SQLite store's schema up to date: applies every migration not yet recorded in
/// `schema_migrations`, each in its own transaction, in version order (see ``MigrationReport``).
public struct SQLiteMigrator: Sendable {
    /// What a run did.
    public typealias Report = MigrationReport

    let migrator: Migrator

    /// - Parameter migrations: The sequence to apply (Arbiter's own by default).
    public init(migrations: [Migration] = Migrations.sqlite) {
        self.migrator = Migrator(migrations: migrations)
    }

    /// Applies what is pending.
    /// - Parameter connection: An open connection (used on the calling thread, which must not be the
    ///   Swift concurrency pool's).
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``MigrationError`` when a migration fails (its transaction is rolled back, earlier ones
    ///   stay), an applied migration no longer matches the one shipped, or the store was written by a
    ///   newer Arbiter.
    public func migrate(_ connection: SQLiteConnection) throws(MigrationError) -> Report {
        try self.migrator.migrate(SQLiteMigrationDatabase(connection: connection))
    }
}

/// A SQLite connection as the migrator uses it.
struct SQLiteMigrationDatabase: MigrationDatabase {
    let connection: SQLiteConnection

    /// A SQLite file has one daemon: there is no other process to keep out.
    func whileMigrating<T>(_ body: () throws -> T) throws -> T {
        try body()
    }

    func createMigrationTable() throws {
        try self.connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
    }

    func recordedMigrations() throws -> [Int: String] {
        var recorded: [Int: String] = [:]
        for row in try self.connection.query("SELECT version, checksum FROM schema_migrations") {
            if let version = row[0].integer { recorded[Int(version)] = row[1].text ?? "" }
        }
        return recorded
    }

    func apply(_ migration: Migration, appliedAt: Int64) throws {
        try self.connection.transaction {
            try self.connection.execute(migration.sql)
            try self.connection.query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                [.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum), .integer(appliedAt)])
        }
    }
}
