import ArbiterStorage
import ArbiterTesting
import Testing

@Suite struct SQLiteMigratorTests {
    @Test func aFreshStoreGetsEveryTableAndASecondRunDoesNothing() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("arbiter.db"))
        let first = try SQLiteMigrator().migrate(connection)
        #expect(first.applied.map(\.label) == Migrations.sqlite.map(\.label))
        #expect(first.applied.map(\.label).prefix(3) == ["0001_initial", "0002_worker_leases", "0003_access"])
        #expect(first.version == Migrations.sqlite.count)
        let tables = Set(try connection.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0[0].text })
        for table in ["jobs", "job_attempts", "job_type_state", "workers", "audit_logs", "user_consents", "credentials", "api_tokens", "schema_migrations"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(try connection.query("PRAGMA journal_mode")[0][0] == "wal")
        let second = try SQLiteMigrator().migrate(connection)
        #expect(second.applied.isEmpty)
        #expect(second.version == Migrations.sqlite.count)
    }

    @Test func theDispatchQueryUsesItsIndex() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("arbiter.db"))
        _ = try SQLiteMigrator().migrate(connection)
        let plan = try connection.query(
            "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE state = 'queued' AND type = ? ORDER BY priority DESC, run_at, id LIMIT 10", ["email"])
        #expect(plan.contains { $0.last?.text?.contains("jobs_dispatch") == true }, "\(plan)")
    }

    @Test func aFailingMigrationRollsBackAndNamesItself() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("arbiter.db"))
        let migrations = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE a (x INTEGER);"),
            Migration(version: 2, name: "bad", sql: "CREATE TABLE b (y INTEGER); CREATE TABLE a (x INTEGER);"),
        ]
        let error = #expect(throws: MigrationError.self) { try SQLiteMigrator(migrations: migrations).migrate(connection) }
        #expect(error?.description.hasPrefix("migration 0002_bad: ") == true)
        #expect(error?.description.contains("table a already exists") == true)
        let tables = Set(try connection.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0[0].text })
        #expect(tables.contains("a"))
        #expect(!tables.contains("b"), "the failed migration's first statement was not rolled back")
        #expect(try connection.query("SELECT version FROM schema_migrations") == [[1]])
    }

    @Test func anEditedMigrationIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("arbiter.db"))
        _ = try SQLiteMigrator(migrations: [Migration(version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);")]).migrate(connection)
        let edited = [Migration(version: 1, name: "one", sql: "CREATE TABLE a (x TEXT);")]
        let error = #expect(throws: MigrationError.self) { try SQLiteMigrator(migrations: edited).migrate(connection) }
        #expect(error?.description.contains("was changed after it was applied") == true)
    }

    @Test func aNewerStoreIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "sqlite")
        defer { directory.remove() }
        let connection = try SQLiteConnection(path: directory.file("arbiter.db"))
        _ = try SQLiteMigrator().migrate(connection)
        try connection.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)")
        let error = #expect(throws: MigrationError.self) { try SQLiteMigrator().migrate(connection) }
        #expect(error?.description.contains("schema version 99, newer than this Arbiter knows") == true)
    }

    @Test func anUnopenableFileIsNamed() {
        let error = #expect(throws: SQLiteError.self) { try SQLiteConnection(path: "/nonexistent/dir/arbiter.db") }
        #expect(error?.description.hasPrefix("open /nonexistent/dir/arbiter.db: ") == true)
    }
}
