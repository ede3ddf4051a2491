import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// `arbiter migrate` says what it did; `serve` migrates at start and refuses a store it cannot use.
@Suite struct MigrateCommandTests {
    @Test func migrateAppliesThenReportsUpToDate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.file("data")
        let first = try await ArbiterServer.run(["migrate", "--data-dir", data], in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        let latest = Migrations.sqlite.count
        let applied = Migrations.sqlite.map { "\(data)/arbiter.db: applied \($0.label)\n" }.joined()
        #expect(first.stdout == applied + "\(data)/arbiter.db: schema version \(latest)\n")
        let second = try await ArbiterServer.run(["migrate", "--data-dir", data], in: directory)
        #expect(second.stdout == "\(data)/arbiter.db: schema is up to date at version \(latest)\n")
    }

    @Test func serveMigratesAtStart() async throws {
        try await ArbiterServer.with { server in
            #expect(server.logLines.contains { $0["msg"] == "store migrated" && $0["applied"] == Migrations.sqlite.map(\.label).joined(separator: ",")
                && $0["version"] == "\(Migrations.sqlite.count)" })
        }
    }

    @Test func serveRefusesAStoreThatIsNotSQLite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        try directory.write("data/arbiter.db", String(repeating: "not a database ", count: 400))
        let result = try await ArbiterServer.run(["serve", "--listen", "127.0.0.1:0", "--data-dir", directory.file("data")], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("arbiter: error: cannot prepare the store: "), "\(result.stderr)")
        #expect(result.stderr.contains("file is not a database"), "\(result.stderr)")
    }
}
