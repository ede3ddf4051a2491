import ArbiterCore

/// Brings a store's schema up to date, whatever the backend: applies every migration not yet recorded
/// in `schema_migrations`, each in its own transaction, in version order. It refuses a store whose
/// recorded migrations were edited since, and one written by a newer Arbiter.
package struct Migrator: Sendable {
    let migrations: [Migration]

    /// - Parameter migrations: The sequence to apply.
    package init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Applies what is pending.
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``MigrationError`` when a migration fails (its transaction is rolled back, earlier ones
    ///   stay), an applied migration no longer matches the one shipped, or the store is newer.
    package func migrate(_ database: some MigrationDatabase) throws(MigrationError) -> MigrationReport {
        do {
            return try database.whileMigrating { try self.migrateHoldingLock(database) }
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(migration: nil, reason: "\(error)")
        }
    }

    private func migrateHoldingLock(_ database: some MigrationDatabase) throws(MigrationError) -> MigrationReport {
        let recorded: [Int: String]
        do {
            try database.createMigrationTable()
            recorded = try database.recordedMigrations()
        } catch {
            throw MigrationError(migration: nil, reason: "\(error)")
        }
        let known = self.migrations.last?.version ?? 0
        // Checked before anything is applied: a newer Arbiter's schema is left as it is.
        if let newest = recorded.keys.max(), newest > known {
            throw MigrationError(
                migration: nil, reason: "the store is at schema version \(newest), newer than this Arbiter knows (\(known)); use a newer Arbiter")
        }
        var report = MigrationReport(applied: [], version: recorded.keys.max() ?? 0)
        for migration in self.migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError(migration: migration, reason: "it was changed after it was applied (checksum \(checksum), now \(migration.checksum))")
                }
                continue
            }
            do {
                try database.apply(migration, appliedAt: WallClock.nowMilliseconds())
            } catch {
                throw MigrationError(migration: migration, reason: "\(error)")
            }
            report.applied.append(migration)
            report.version = max(report.version, migration.version)
        }
        return report
    }
}

/// What a migration run did.
public struct MigrationReport: Sendable, Equatable {
    /// Migrations applied by this run, in order.
    public var applied: [Migration]
    /// The schema version after the run.
    public var version: Int

    /// - Parameters:
    ///   - applied: Migrations applied by the run, in order.
    ///   - version: The schema version after the run.
    public init(applied: [Migration], version: Int) {
        self.applied = applied
        self.version = version
    }
}

/// A migration that could not be applied, or a store this Arbiter cannot use.
public struct MigrationError: Error, CustomStringConvertible {
    /// The migration at fault, if one is.
    public let migration: Migration?
    /// What went wrong.
    public let reason: String

    /// - Parameters:
    ///   - migration: The migration at fault, if one is.
    ///   - reason: What went wrong.
    public init(migration: Migration?, reason: String) {
        self.migration = migration
        self.reason = reason
    }

    public var description: String {
        if let migration { return "migration \(migration.label): \(self.reason)" }
        return "migrations: \(self.reason)"
    }
}
