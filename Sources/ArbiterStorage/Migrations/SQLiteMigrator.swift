import ArbiterCore

/// Brings a SQLite store's schema up to date: applies every migration not yet recorded in
/// `schema_migrations`, each in its own transaction, in version order.
public struct SQLiteMigrator: Sendable {
    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Migrations applied by this run, in order.
        public var applied: [Migration]
        /// The schema version after the run.
        public var version: Int
    }

    let migrations: [Migration]

    /// - Parameter migrations: The sequence to apply (Arbiter's own by default).
    public init(migrations: [Migration] = Migrations.sqlite) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is pending.
    /// - Parameter connection: An open connection (used on the calling thread, which must not be the
    ///   Swift concurrency pool's).
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``MigrationError`` when a migration fails (its transaction is rolled back, earlier ones
    ///   stay) or an applied migration no longer matches the one shipped.
    public func migrate(_ connection: SQLiteConnection) throws(MigrationError) -> Report {
        do {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)
                """)
        } catch {
            throw MigrationError(migration: nil, reason: "\(error)")
        }
        var recorded: [Int: String] = [:]
        do {
            for row in try connection.query("SELECT version, checksum FROM schema_migrations") {
                if let version = row[0].integer { recorded[Int(version)] = row[1].text ?? "" }
            }
        } catch {
            throw MigrationError(migration: nil, reason: "\(error)")
        }
        var report = Report(applied: [], version: recorded.keys.max() ?? 0)
        for migration in self.migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError(migration: migration, reason: "it was changed after it was applied (checksum \(checksum), now \(migration.checksum))")
                }
                continue
            }
            do {
                try connection.transaction {
                    try connection.execute(migration.sql)
                    try connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                        [.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum), .integer(WallClock.nowMilliseconds())])
                }
            } catch {
                throw MigrationError(migration: migration, reason: "\(error)")
            }
            report.applied.append(migration)
            report.version = max(report.version, migration.version)
        }
        if let newest = recorded.keys.max(), newest > (self.migrations.last?.version ?? 0) {
            throw MigrationError(migration: nil, reason: "the store is at schema version \(newest), newer than this Arbiter knows (\(self.migrations.last?.version ?? 0)); use a newer Arbiter")
        }
        return report
    }
}

/// A migration that could not be applied, or a store this Arbiter cannot use.
public struct MigrationError: Error, CustomStringConvertible {
    /// The migration at fault, if one is.
    public let migration: Migration?
    /// What went wrong.
    public let reason: String

    public var description: String {
        if let migration { return "migration \(migration.label): \(self.reason)" }
        return "migrations: \(self.reason)"
    }
}
