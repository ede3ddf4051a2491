/// What the ``Migrator`` needs of a database: the same steps on SQLite and PostgreSQL, each backend
/// in its own SQL. Every call blocks; the migrator runs on a thread that may block.
package protocol MigrationDatabase {
    /// Runs `body` holding whatever keeps other processes from migrating the same database at once
    /// (PostgreSQL: an advisory lock; SQLite: nothing, the daemon is the file's only user).
    func whileMigrating<T>(_ body: () throws -> T) throws -> T
    /// Creates `schema_migrations` if it does not exist yet.
    func createMigrationTable() throws
    /// The applied migrations: version to checksum.
    func recordedMigrations() throws -> [Int: String]
    /// Runs the migration's SQL and records it in `schema_migrations`, in one transaction: if either
    /// fails, neither happened.
    func apply(_ migration: Migration, appliedAt: Int64) throws
}
