import ArbiterApp
import ArbiterCore
import ArbiterJobs
import ArgumentParser
import Foundation

extension AuditCommand {
    /// `arbiter audit archive`: older entries moved to a file, the store's chain kept from an anchor.
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move the audit entries before a date to a new file and remove them from the store.",
            discussion: """
                Reads and writes the store directly, as the store's owner (--data-dir for SQLite, safe while the server runs; \\
                --store for PostgreSQL): no API token can remove audit entries. The file (JSON lines, each entry with its hashes) \\
                is complete and synced before anything is removed; the store keeps an anchor (the last archived entry's seq and \\
                hash) that `arbiter audit verify` starts from, and `arbiter audit verify --archive FILE…` checks the archives and \\
                the store as one chain. The archiving itself is an audit entry (audit.archived, with the file's SHA-256).
                """)

        @Option(help: ArgumentHelp("Archive the entries written before this moment: an RFC 3339 time or a date (YYYY-MM-DD, midnight UTC).", valueName: "date"))
        var before: String

        @Option(help: ArgumentHelp("The archive to write; it must not exist.", valueName: "file"))
        var out: String

        @Option(help: "The SQLite store in this data directory (the default, ./data).")
        var dataDir: String?

        @Option(help: ArgumentHelp("A PostgreSQL store: postgres://user@host:port/db or libpq conninfo.", valueName: "url"))
        var store: String?

        func run() async throws {
            let text = self.before.count == 10 ? self.before + "T00:00:00Z" : self.before
            let before: Int64
            do {
                before = try RFC3339.milliseconds(from: text)
            } catch {
                CommandLineError.print("--before: expected an RFC 3339 time such as 2026-11-01T00:00:00Z or a date such as 2026-11-01 (\(error))")
                throw ExitCode.validationFailure
            }
            let local = try Verify.localStore(dataDir: self.dataDir ?? (self.store == nil ? "./data" : nil), store: self.store)
            guard let local else { throw ExitCode.validationFailure }
            if local.location == .sqlite, !FileManager.default.fileExists(atPath: local.path) {
                CommandLineError.print("\(local.path): no store here")
                throw ExitCode.failure
            }
            let archived: AuditArchiver.Archived?
            do {
                let ledger = try local.open(options: LedgerOptions())
                do {
                    let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
                    archived = try await AuditActor.$current.withValue("cli:\(user)") {
                        try await AuditArchiver(store: ledger).archive(before: before, to: self.out, now: WallClock.nowMilliseconds())
                    }
                } catch {
                    try? await ledger.close()
                    throw error
                }
                try await ledger.close()
            } catch let invalid as AuditArchive.Invalid {
                CommandLineError.print("\(invalid)")
                throw ExitCode.failure
            } catch {
                CommandLineError.print("\(local.name): \(error)")
                throw ExitCode.failure
            }
            guard let archived else {
                print("no audit entries before \(text) to archive; nothing written")
                return
            }
            print(
                "archived entries \(archived.first)–\(archived.last.seq) (\(archived.entries)) to \(self.out), sha256 \(archived.sha256); "
                    + "the store's chain now begins after entry \(archived.last.seq) (\(archived.last))")
        }
    }
}
