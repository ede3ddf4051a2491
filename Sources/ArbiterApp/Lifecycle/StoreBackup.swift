import ArbiterJobs
import ArbiterStorage
import Foundation
import NIOPosix

/// `arbiter backup` and `arbiter restore` for the embedded store: a consistent copy taken while the
/// daemon serves (SQLite's online backup), checked before it is called a backup, and put back into a
/// new data directory. PostgreSQL has its own tools (`pg_dump`, `pg_restore`); see the README.
///
/// The vault key is never in a backup: a copy of the sealed credentials and the key that opens them
/// side by side would undo the sealing. Keep the key (`<data_dir>/vault.key`, `vault.key` or
/// `vault.key_file`) apart and give it to `restore`.
public enum StoreBackup {
    /// What a backup holds, as checked.
    public struct Summary: Sendable {
        public var jobs: [JobState: Int]
        public var audit: AuditVerification
        public var credentials: Int
        public var schemaVersion: Int

        public var totalJobs: Int { self.jobs.values.reduce(0, +) }

        /// One line per fact, for the command's output.
        public var lines: [String] {
            let states = JobState.allCases.compactMap { state in self.jobs[state].map { "\(state.rawValue) \($0)" } }
            return [
                "jobs: \(self.totalJobs)" + (states.isEmpty ? "" : " (" + states.joined(separator: ", ") + ")"),
                "audit chain: " + (self.audit.intact ? "intact, \(self.audit.length) entries" : "BROKEN at entry \(self.audit.firstBroken?.seq ?? 0)")
                    + (self.audit.head.map { ", head \($0)" } ?? ""),
                "sealed credentials: \(self.credentials)", "schema version: \(self.schemaVersion)",
            ]
        }
    }

    /// A backup or restore that cannot be made, and why.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// Copies the SQLite store at `source` to the new file `path` (written beside it as `.partial`,
    /// renamed once it checked out), then checks the copy.
    /// - Throws: ``Failure`` naming the file.
    public static func backup(source: String, to path: String) async throws -> Summary {
        guard FileManager.default.fileExists(atPath: source) else { throw Failure("\(source): no store here") }
        guard !FileManager.default.fileExists(atPath: path) else { throw Failure("\(path) exists; a backup never overwrites a file") }
        let partial = path + ".partial"
        do {
            try await NIOThreadPool.singleton.runIfActive {
                try SQLiteConnection(path: source).backup(to: partial)
            }
            let summary = try await self.inspect(partial)
            guard rename(partial, path) == 0 else { throw Failure("\(path): cannot rename into place: \(String(cString: strerror(errno)))") }
            return summary
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(partial + suffix) }
            throw error as? Failure ?? Failure("\(path): \(error)")
        }
    }

    /// Copies the backup `file` into `<dataDirectory>/arbiter.db` (which must not exist), brings its
    /// schema up to this Arbiter's, and checks it; with `vaultKeyFile`, puts the vault key beside it.
    /// - Throws: ``Failure`` naming the file or directory.
    public static func restore(_ file: String, dataDirectory: String, vaultKeyFile: String?) async throws -> Summary {
        guard FileManager.default.fileExists(atPath: file) else { throw Failure("\(file): no such file") }
        let target = StoreMigration(dataDirectory: dataDirectory).path
        guard !FileManager.default.fileExists(atPath: target) else {
            throw Failure("\(target) exists: restore into a new data directory, or stop the server and move that store away first")
        }
        let keyTarget = (dataDirectory as NSString).appendingPathComponent("vault.key")
        if vaultKeyFile != nil, FileManager.default.fileExists(atPath: keyTarget) {
            throw Failure("\(keyTarget) exists; restore into a new data directory")
        }
        let key: Data?
        do {
            key = try vaultKeyFile.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        } catch {
            throw Failure("\(vaultKeyFile ?? ""): cannot read the vault key: \(error.localizedDescription)")
        }
        try DataDirectory(path: dataDirectory).prepare()
        let partial = target + ".partial"
        do {
            try await NIOThreadPool.singleton.runIfActive {
                let source = try SQLiteConnection(path: file)
                let problems = try source.integrityProblems()
                guard problems.isEmpty else { throw Failure("\(file): not a sound SQLite database: \(problems.prefix(3).joined(separator: "; "))") }
                try source.backup(to: partial)
                _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: partial))
            }
            let summary = try await self.inspect(partial)
            guard summary.audit.intact else { throw Failure("\(file): \(summary.lines[1]); not restored") }
            guard rename(partial, target) == 0 else { throw Failure("\(target): cannot rename into place: \(String(cString: strerror(errno)))") }
            if let key {
                guard FileManager.default.createFile(atPath: keyTarget, contents: key, attributes: [.posixPermissions: 0o600]) else {
                    throw Failure("\(keyTarget): cannot write the vault key")
                }
            }
            return summary
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(partial + suffix) }
            throw error as? Failure ?? Failure("\(file): \(error)")
        }
    }

    /// Opens a copy and reads what it holds: sound pages, job counts, the audit chain walked.
    static func inspect(_ path: String) async throws -> Summary {
        let (problems, credentials, version) = try await NIOThreadPool.singleton.runIfActive {
            let connection = try SQLiteConnection(path: path)
            return (
                try connection.integrityProblems(),
                Int(try connection.query("SELECT COUNT(*) FROM credentials").first?.first?.integer ?? 0),
                Int(try connection.query("SELECT MAX(version) FROM schema_migrations").first?.first?.integer ?? 0)
            )
        }
        guard problems.isEmpty else { throw Failure("\(path): not a sound SQLite database: \(problems.prefix(3).joined(separator: "; "))") }
        let ledger = try Ledger.sqlite(path: path)
        do {
            let counts = try await ledger.countsByType()
            let audit = try await ledger.verifyAudit()
            try await ledger.close()
            var jobs: [JobState: Int] = [:]
            for byState in counts.values { for (state, count) in byState { jobs[state, default: 0] += count } }
            return Summary(jobs: jobs, audit: audit, credentials: credentials, schemaVersion: version)
        } catch {
            try? await ledger.close()
            throw error
        }
    }
}
