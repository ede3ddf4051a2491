import ArbiterPostgres
import Testing

/// Logs and errors show where the store connects, never its password.
@Suite struct ConnectionStringTests {
    @Test(arguments: [
        ("postgres://arbiter:s3cret@db:5432/arbiter?sslmode=require", "postgres://arbiter:***@db:5432/arbiter?sslmode=require"),
        ("postgresql://arbiter:p%40ss:w@db/arbiter", "postgresql://arbiter:***@db/arbiter"),
        ("postgres://db/arbiter?user=a&password=s3cret&sslmode=disable", "postgres://db/arbiter?user=a&password=***&sslmode=disable"),
        ("host=db user=arbiter password=s3cret dbname=arbiter", "host=db user=arbiter password=*** dbname=arbiter"),
        (#"host=db password = 'with space \' quote' dbname=x"#, "host=db password = *** dbname=x"),
        ("postgres://arbiter@db/arbiter", "postgres://arbiter@db/arbiter"),
        ("host=db user=arbiter", "host=db user=arbiter"),
    ])
    func thePasswordIsHidden(connectionString: String, redacted: String) {
        #expect(PostgresConfiguration(connectionString).redacted == redacted)
    }

    @Test func anUnreadableStringIsRefusedWithoutItsPassword() {
        let error = #expect(throws: PostgresError.self) {
            _ = try PostgresBackend(configuration: PostgresConfiguration("postgres://arbiter:hunter2@db/arbiter?nonsense=1"))
        }
        #expect(error?.sqlState == "22023")
        #expect(error?.description.contains("hunter2") == false, "\(error.map(String.init(describing:)) ?? "")")
        #expect(error?.description.contains("postgres://arbiter:***@db/arbiter") == true)
    }
}
