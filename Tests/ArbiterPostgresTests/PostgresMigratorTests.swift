import ArbiterPostgres
import ArbiterStorage
import ArbiterTesting
import Testing

@Suite(.enabled(if: PostgresServer.shouldRun)) struct PostgresMigratorTests {
    @Test func aFreshDatabaseGetsEveryMigrationAndASecondRunDoesNothing() async throws {
        let configuration = PostgresConfiguration(try await TestDatabase.create())
        let first = try await PostgresMigrator().migrate(configuration)
        #expect(first.applied.map(\.label) == Migrations.postgres.map(\.label))
        #expect(first.version == Migrations.postgres.count)
        let second = try await PostgresMigrator().migrate(configuration)
        #expect(second.applied.isEmpty)
        #expect(second.version == Migrations.postgres.count)
        // Payloads are kept as submitted, byte for byte.
        let connection = try PostgresConnection(configuration)
        let types = try connection.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'jobs' AND column_name IN ('payload', 'result') ORDER BY 1")
        #expect(types == [PostgresRow([.text("payload"), .text("text")]), PostgresRow([.text("result"), .text("text")])])
    }

    @Test func processesStartingAtOnceApplyEachMigrationOnce() async throws {
        let configuration = PostgresConfiguration(try await TestDatabase.create())
        async let one = PostgresMigrator().migrate(configuration)
        async let two = PostgresMigrator().migrate(configuration)
        let (first, second) = try await (one, two)
        #expect(first.applied.count + second.applied.count == Migrations.postgres.count)
        #expect(first.version == second.version)
        let recorded = try PostgresConnection(configuration).query("SELECT COUNT(*) FROM schema_migrations")
        #expect(recorded == [PostgresRow([.int64(Int64(Migrations.postgres.count))])])
    }

    @Test func aFailingMigrationRollsBackAndNamesItself() async throws {
        let configuration = PostgresConfiguration(try await TestDatabase.create())
        let migrations = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE a (x INTEGER);"),
            Migration(version: 2, name: "bad", sql: "CREATE TABLE b (y INTEGER); CREATE TABLE a (x INTEGER);"),
        ]
        let error = await #expect(throws: MigrationError.self) { try await PostgresMigrator(migrations: migrations).migrate(configuration) }
        #expect(error?.description.hasPrefix("migration 0002_bad: ") == true, "\(error.map(String.init(describing:)) ?? "")")
        #expect(error?.description.contains("relation \"a\" already exists") == true)
        let tables = try PostgresConnection(configuration).query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('a', 'b') ORDER BY 1")
        #expect(tables == [PostgresRow([.text("a")])], "the failed migration's first statement was not rolled back")
    }

    @Test func anEditedMigrationIsRefusedByName() async throws {
        let configuration = PostgresConfiguration(try await TestDatabase.create())
        _ = try await PostgresMigrator(migrations: [Migration(version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);")]).migrate(configuration)
        let edited = [Migration(version: 1, name: "one", sql: "CREATE TABLE a (x TEXT);")]
        let error = await #expect(throws: MigrationError.self) { try await PostgresMigrator(migrations: edited).migrate(configuration) }
        #expect(error?.description.hasPrefix("migration 0001_one: it was changed after it was applied") == true)
    }

    @Test func aDatabaseFromANewerArbiterIsRefusedNamingItsVersion() async throws {
        let configuration = PostgresConfiguration(try await TestDatabase.create())
        _ = try await PostgresMigrator().migrate(configuration)
        try PostgresConnection(configuration).execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)")
        let error = await #expect(throws: MigrationError.self) { try await PostgresMigrator().migrate(configuration) }
        #expect(error?.description.contains("schema version 99, newer than this Arbiter knows") == true)
    }
}
