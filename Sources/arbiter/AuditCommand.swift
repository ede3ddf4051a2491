import ArbiterApp
import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArgumentParser
import Foundation
import NIOHTTP1

/// `arbiter audit verify|list`: the hash-chained audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and read the audit log.",
        subcommands: [Verify.self, List.self, Archive.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the audit chain, recomputing every hash; exit 1 and name the first broken entry if it is not intact.",
            discussion: """
                With --data-dir or --store the store is read directly (no server needed); otherwise the server verifies it. \
                With --archive, the archives `arbiter audit archive` wrote are verified too, and with the store's chain as one chain \
                from entry 1: a missing or edited archive is named.
                """)

        @Option(help: "Verify the store in this data directory directly.")
        var dataDir: String?

        @Option(help: ArgumentHelp("Verify this PostgreSQL store directly: postgres://user@host:port/db or libpq conninfo.", valueName: "url"))
        var store: String?

        @Option(help: ArgumentHelp(
            "Also require the chain to reach this head, as the log at a start or the arbiter_audit_chain_* metrics recorded it.",
            valueName: "SEQ:HASH"))
        var expectHead: String?

        @Option(name: .customLong("archive"), help: ArgumentHelp("An archive file of older entries (repeat for each).", valueName: "file"))
        var archives: [String] = []

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let expectation: AuditHeadExpectation?
            do {
                expectation = try self.expectHead.map { text throws(AuditHeadExpectation.Invalid) in try AuditHeadExpectation(parsing: text) }
            } catch {
                CommandLineError.print("--expect-head: \(error)")
                throw ExitCode.validationFailure
            }
            let (intact, length, brokenSeq, reason): (Bool, Int64, Int64?, String?)
            var anchor: AuditHead?
            var expectedEntryHash: String?
            if let local = try self.localStore() {
                if local.location == .sqlite {
                    guard FileManager.default.fileExists(atPath: local.path) else {
                        CommandLineError.print("\(local.path): no store here")
                        throw ExitCode.failure
                    }
                }
                do {
                    let store = try local.open(options: LedgerOptions())
                    let verification: AuditVerification
                    do {
                        verification = try await store.verifyAudit()
                        if let expectation { expectedEntryHash = try await store.auditEntryHash(seq: expectation.seq).map(Hex.encode) }
                    } catch {
                        try? await store.close()
                        throw error
                    }
                    try await store.close()
                    (intact, length, brokenSeq, reason) = (verification.intact, verification.length, verification.firstBroken?.seq, verification.firstBroken?.reason)
                    anchor = verification.anchor
                } catch {
                    CommandLineError.print("\(local.name): \(error)")
                    throw ExitCode.failure
                }
            } else {
                let answer = try await CommandLineFailure.report { try await self.options.client().send(.GET, "/api/v1/audit/verify") }
                let broken = answer["first_broken"] as? [String: Any]
                (intact, length, brokenSeq, reason) = (
                    answer["intact"] as? Bool ?? false, (answer["length"] as? NSNumber)?.int64Value ?? 0,
                    (broken?["seq"] as? NSNumber)?.int64Value, broken?["reason"] as? String
                )
                if let object = answer["anchor"] as? [String: Any], let seq = (object["seq"] as? NSNumber)?.int64Value,
                    let hash = (object["hash"] as? String).flatMap(AuditArchive.hexBytes)
                {
                    anchor = AuditHead(seq: seq, hash: hash)
                }
                if let expectation {
                    let page = try await CommandLineFailure.report {
                        try await self.options.client().send(.GET, "/api/v1/audit?cursor=\(expectation.seq - 1)&limit=1")
                    }
                    let entry = (page["entries"] as? [[String: Any]])?.first
                    if (entry?["seq"] as? NSNumber)?.int64Value == expectation.seq, let hash = entry?["hash"] as? String {
                        expectedEntryHash = hash
                    }
                }
            }
            if intact, let expectation, let problem = expectation.problem(length: length, entryHashHex: expectedEntryHash) {
                print("audit chain NOT the expected one: \(problem); the \(length) entries there verify")
                throw ExitCode.failure
            }
            var archived = anchor.map { " (entries up to \($0.seq) archived; the store holds the rest)" } ?? ""
            if !self.archives.isEmpty {
                do {
                    let covered = try AuditArchiveCheck.verify(try AuditArchiveFiles.open(self.archives))
                    try AuditArchiveCheck.joins(covered, anchor: anchor)
                    archived = " (\(covered.entries) in \(self.archives.count) archive\(self.archives.count == 1 ? "" : "s"), the rest in the store)"
                } catch {
                    print("audit archives BROKEN: \(error)")
                    throw ExitCode.failure
                }
            }
            if intact {
                print("audit chain intact: \(length) entries" + archived + (expectation.map { ", entry \($0.seq) as expected" } ?? ""))
            } else {
                print("audit chain BROKEN at entry \(brokenSeq ?? 0): \(reason ?? "unknown"); the \(length) entries before it verify")
                throw ExitCode.failure
            }
        }

        /// The store to read directly, if `--store` or `--data-dir` names one.
        /// - Throws: A validation failure for a `--store` that is not a store.
        func localStore() throws -> StoreMigration? {
            try Self.localStore(dataDir: self.dataDir, store: self.store)
        }

        /// The store `--data-dir` or `--store` names, if either does.
        /// - Throws: A validation failure for a `--store` that is not a store.
        static func localStore(dataDir: String?, store: String?) throws -> StoreMigration? {
            if let store {
                guard let location = StoreLocation(parsing: store) else {
                    CommandLineError.print("--store: expected sqlite, a postgres:// URL or a libpq conninfo string")
                    throw ExitCode.validationFailure
                }
                return StoreMigration(dataDirectory: dataDir ?? "./data", location: location)
            }
            return dataDir.map { StoreMigration(dataDirectory: $0) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit entries, oldest first.")

        @Option(help: "Only entries by this actor, such as token:ci.") var actor: String?
        @Option(help: "Only entries of this action, such as job.cancelled.") var action: String?
        @Option(help: "Only entries about this subject id.") var subject: String?
        @Option(help: "At most this many entries.") var limit = 100

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var query = ["limit=\(self.limit)"]
            for (name, value) in [("actor", self.actor), ("action", self.action), ("subject_id", self.subject)] {
                if let value { query.append("\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)") }
            }
            let answer = try await CommandLineFailure.report {
                try await self.options.client().send(.GET, "/api/v1/audit?" + query.joined(separator: "&"))
            }
            var rows = [["SEQ", "AT", "ACTOR", "ACTION", "SUBJECT", "DETAILS"]]
            for entry in answer["entries"] as? [[String: Any]] ?? [] {
                let details = (entry["details"]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
                rows.append([
                    "\((entry["seq"] as? NSNumber)?.int64Value ?? 0)", entry["at"] as? String ?? "", entry["actor"] as? String ?? "",
                    entry["action"] as? String ?? "", "\(entry["subject_type"] as? String ?? "")/\(entry["subject_id"] as? String ?? "")",
                    details.map { String(decoding: $0, as: UTF8.self) } ?? "{}",
                ])
            }
            print(Table.render(rows), terminator: "")
        }
    }
}
