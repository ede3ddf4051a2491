import ArbiterPostgres
import ArbiterTesting
import Testing

/// One libpq connection against a real PostgreSQL: errors carry the server's SQLSTATE and never the
/// password, and values come back as they went in.
@Suite(.enabled(if: PostgresServer.shouldRun)) struct PostgresConnectionTests {
    @Test func aRefusalCarriesTheServersSQLStateAndNeverThePassword() async throws {
        let server = try await TestDatabase.server()
        let url = "postgres://postgres:s3cret-pw@127.0.0.1:\(server.port)/no_such_database"
        let error = #expect(throws: PostgresError.self) { _ = try PostgresConnection(PostgresConfiguration(url)) }
        #expect(error?.sqlState == "3D000")
        #expect(error?.connectionBroken == true)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(!text.contains("s3cret-pw"), "\(text)")
        #expect(text.contains("postgres://postgres:***@127.0.0.1:\(server.port)/no_such_database"), "\(text)")
        #expect(text.contains("no_such_database\" does not exist"), "\(text)")
    }

    @Test func nothingListeningIsAConnectionFailureWithoutThePassword() throws {
        let port = try FreePort.next()
        let started = ContinuousClock.now
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresConnection(PostgresConfiguration("host=127.0.0.1 port=\(port) user=arbiter password='s3cret pw' dbname=x"))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(error?.sqlState == "08001")
        let text = error.map(String.init(describing:)) ?? ""
        #expect(!text.contains("s3cret"), "\(text)")
    }

    @Test func aFailedStatementLeavesTheConnectionUsable() async throws {
        let connection = try PostgresConnection(PostgresConfiguration(try await TestDatabase.create()))
        let division = #expect(throws: PostgresError.self) { try connection.query("SELECT 1 / $1::int", [.int64(0)]) }
        #expect(division?.sqlState == "22012")
        #expect(division?.connectionBroken == false)
        let syntax = #expect(throws: PostgresError.self) { try connection.execute("SELEC 1") }
        #expect(syntax?.sqlState == "42601")
        #expect(try connection.query("SELECT 1 + $1::int", [.int64(1)]) == [PostgresRow([.int64(2)])])
        #expect(!connection.isBroken)
    }

    @Test func valuesComeBackAsTheyWentIn() async throws {
        let connection = try PostgresConnection(PostgresConfiguration(try await TestDatabase.create()))
        let text = "quote ' double \" backslash \\ é ✓ 😀"
        let bytes = (0...255).map(UInt8.init)
        // Twice: the second run is the prepared statement's.
        for _ in 0..<2 {
            let row = try connection.query(
                "SELECT $1::text, $2::bigint, $3::bigint, $4::boolean, $5::bytea, $6::text, $7::bytea",
                [.text(text), .int64(.min), .int64(.max), .bool(true), .bytea(bytes), .null, .bytea([])])
            #expect(row == [PostgresRow([.text(text), .int64(.min), .int64(.max), .bool(true), .bytea(bytes), .null, .bytea([])])])
        }
    }

    @Test func textHoldingNULIsRefusedNotCutShort() async throws {
        let connection = try PostgresConnection(PostgresConfiguration(try await TestDatabase.create()))
        let error = #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", [.text("a\u{0}b")]) }
        #expect(error?.sqlState == "22021")
        #expect(!connection.isBroken)
    }

    @Test func severalStatementsRunTogetherAndCountTheirRows() async throws {
        let connection = try PostgresConnection(PostgresConfiguration(try await TestDatabase.create()))
        let tag = try connection.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)")
        #expect(tag == "INSERT 0 3")
        try connection.query("UPDATE t SET x = x + 1 WHERE x > $1", [.int64(1)])
        #expect(connection.rowsAffected == 2)
    }
}
