import ArbiterApp
import ArbiterStorage
import ArgumentParser

/// `arbiter migrate`: brings the store's schema up to date and says what it did.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations to the store (serve also does this at start)."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let loaded = try self.options.load()
        let store = StoreMigration(dataDirectory: loaded.configuration.dataDirectory, location: loaded.configuration.store)
        do {
            if store.location == .sqlite { try DataDirectory(path: loaded.configuration.dataDirectory).prepare() }
            let report = try await store.run()
            if report.applied.isEmpty {
                print("\(store.name): schema is up to date at version \(report.version)")
            } else {
                for migration in report.applied { print("\(store.name): applied \(migration.label)") }
                print("\(store.name): schema version \(report.version)")
            }
        } catch {
            CommandLineError.print("\(error)")
            throw ExitCode.failure
        }
    }
}
