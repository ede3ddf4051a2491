import ArbiterStorage
import Foundation
import Testing

/// The migrations compiled into the binary are exactly the files in `schema/`.
@Suite struct EmbeddedSchemaTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("schema")

    @Test(arguments: [("sqlite", Migrations.sqlite), ("postgres", Migrations.postgres)])
    func embeddedMigrationsMatchTheFiles(backend: String, embedded: [Migration]) throws {
        let folder = Self.schema.appendingPathComponent(backend)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == embedded.map { "\($0.label).sql" }, "run scripts/embed-schema")
        for migration in embedded {
            let text = try String(contentsOf: folder.appendingPathComponent("\(migration.label).sql"), encoding: .utf8)
            #expect(text.trimmingCharacters(in: .newlines) == migration.sql.trimmingCharacters(in: .newlines), "run scripts/embed-schema")
        }
    }
}
