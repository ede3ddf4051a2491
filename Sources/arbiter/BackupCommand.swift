import ArbiterApp
import ArgumentParser
import Foundation

/// `arbiter backup`: a consistent copy of the embedded store, taken while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite store to a new file while the server runs, and check the copy.",
        discussion: """
            The copy is the store as of one moment (SQLite's online backup), checked (integrity, the audit chain walked) \\
            before it is renamed into place. The vault key is not in it: keep the key apart and give it to `arbiter restore`. \\
            For the PostgreSQL store use pg_dump and pg_restore (see the README).
            """)

    @Option(help: ArgumentHelp("The backup file to write; it must not exist.", valueName: "file"))
    var out: String

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try self.options.load().configuration
        guard configuration.store == .sqlite else {
            CommandLineError.print(
                "arbiter backup copies the embedded SQLite store; this configuration uses PostgreSQL (\(configuration.store)). "
                    + "Back it up with PostgreSQL's tools: pg_dump --format=custom --file=arbiter.dump DBNAME, "
                    + "and restore with pg_restore --dbname=NEWDB arbiter.dump (see the README, Backup and restore).")
            throw ExitCode.failure
        }
        let source = StoreMigration(dataDirectory: configuration.dataDirectory).path
        do {
            let summary = try await StoreBackup.backup(source: source, to: self.out)
            print("backed up \(source) to \(self.out)")
            for line in summary.lines { print("  " + line) }
            if summary.credentials > 0 {
                print("  the vault key is not in the backup: keep it apart; arbiter restore --vault-key-file takes it")
            }
        } catch {
            CommandLineError.print("\(error)")
            throw ExitCode.failure
        }
    }
}

/// `arbiter restore`: a backup put back as the store of a new data directory.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory (the server must not be running on it).",
        discussion: """
            The backup is checked (integrity, the audit chain walked), copied to <data-dir>/arbiter.db (which must not exist) \\
            and migrated to this Arbiter's schema. Start `arbiter serve --data-dir DIR` on it afterwards.
            """)

    @Argument(help: ArgumentHelp("A file `arbiter backup` wrote.", valueName: "file"))
    var file: String

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("The data directory to restore into.", valueName: "path"))
    var dataDir: String

    @Option(help: ArgumentHelp("The vault key that sealed the backup's credentials, copied to <data-dir>/vault.key.", valueName: "file"))
    var vaultKeyFile: String?

    func run() async throws {
        do {
            let summary = try await StoreBackup.restore(self.file, dataDirectory: self.dataDir, vaultKeyFile: self.vaultKeyFile)
            print("restored \(self.file) into \(StoreMigration(dataDirectory: self.dataDir).path)")
            for line in summary.lines { print("  " + line) }
            if summary.credentials > 0, self.vaultKeyFile == nil {
                print(
                    "  \(summary.credentials) sealed credentials need the vault key that sealed them: "
                        + "set vault.key or vault.key_file, or put the key in \(self.dataDir)/vault.key before starting")
            }
        } catch {
            CommandLineError.print("\(error)")
            throw ExitCode.failure
        }
    }
}
