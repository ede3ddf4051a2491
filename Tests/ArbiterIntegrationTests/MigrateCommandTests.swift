import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// `arbiter migrate` says what it did, on either store; `serve` migrates at start and refuses a store it
/// cannot use.
@Suite struct MigrateCommandTests {
    @Test(arguments: StoreKind.available)
    func migrateAppliesThenReportsUpToDate(store kind: StoreKind) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let data = directory.file("data")
        let store = try await ArbiterServer.Store.make(kind, dataDirectory: data)
        defer { store.drop() }
        // What the command names: the file, or the database (without a password, were there one).
        let name = store.url ?? "\(data)/arbiter.db"
        let migrations = kind == .sqlite ? Migrations.sqlite : Migrations.postgres
        let first = try await ArbiterServer.run(["migrate"] + store.commandLineArguments, in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        let applied = migrations.map { "\(name): applied \($0.label)\n" }.joined()
        #expect(first.stdout == applied + "\(name): schema version \(migrations.count)\n")
        let second = try await ArbiterServer.run(["migrate"] + store.commandLineArguments, in: directory)
        #expect(second.stdout == "\(name): schema is up to date at version \(migrations.count)\n")
        // A server on the migrated store has nothing left to apply.
        try await ArbiterServer.with(dataDirectory: data, store: kind) { server in
            #expect(server.logLines.contains { $0["msg"] == "store schema is up to date" && $0["version"] == "\(migrations.count)" })
        }
    }

    @Test(arguments: StoreKind.available)
    func serveMigratesAtStart(store: StoreKind) async throws {
        let migrations = store == .sqlite ? Migrations.sqlite : Migrations.postgres
        try await ArbiterServer.with(store: store) { server in
            #expect(server.logLines.contains { $0["msg"] == "store migrated" && $0["applied"] == migrations.map(\.label).joined(separator: ",")
                && $0["version"] == "\(migrations.count)" })
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
