import ArbiterStorage
import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// `arbiter backup` under load and `arbiter restore` into a fresh directory: a daemon started on the
/// restored store finds the jobs of the backup's moment, an audit chain that verifies, and opens the
/// credentials with the vault key given to restore.
@Suite struct BackupRestoreTests {
    static let config = "job_types:\n  fetch_odds:\n    requires_consent: odds.read\n"
    static let echo = #"printf '"%s"' "$ARBITER_CREDENTIAL""#

    func json(_ response: HTTPProbe.Response) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    @Test func aBackupTakenUnderLoadRestoresIntoAWorkingDaemon() async throws {
        let directory = try TemporaryDirectory(prefix: "backup")
        defer { directory.remove() }
        let (original, restored, backup) = (directory.file("original"), directory.file("restored"), directory.file("arbiter.backup"))
        var backupOutput = ""
        try await ArbiterServer.with(config: Self.config, dataDirectory: original) { server in
            let consent = try await server.post(
                "/api/v1/consents",
                json: #"{"user_id":"u1","scope":"odds.read","evidence":{"recorded_by":"form","policy_version":"1","source":"web"}}"#)
            #expect(consent.status == 201)
            let stored = try await server.send(
                "/api/v1/users/u1/credentials/odds.read", method: .PUT, body: Array(#"{"secret":"session-7f3a"}"#.utf8))
            #expect(stored.status == 204)
            // Load: a client submitting steadily, a worker running what it submits.
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["load": "true"], concurrency: 4)
            let submitter = SteadySubmitter(server, type: "load", pause: .milliseconds(5))
            try await Polling.until("jobs are running") {
                try await server.store.count("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'") >= 20
            }
            let taken = try await ArbiterServer.run(["backup", "--out", backup, "--data-dir", original], in: directory)
            backupOutput = taken.stdout
            #expect(taken.status == 0 && taken.stdout.contains("audit chain: intact"), "\(taken.stdout)\(taken.stderr)")
            let atBackup = submitter.accepted.count
            try await Polling.until("the load goes on after the backup") { submitter.accepted.count >= atBackup + 20 }
            await submitter.stop()
            await worker.stop()
            let refused = try await ArbiterServer.run(["backup", "--out", backup, "--data-dir", original], in: directory)
            #expect(refused.status == 1 && refused.stderr.contains("exists"), "\(refused.stderr)")
        }
        // The backup's moment, read from the file itself, matches what the command printed.
        let file = try SQLiteConnection(path: backup)
        let jobs = Int(try file.query("SELECT COUNT(*) FROM jobs").first?.first?.integer ?? -1)
        let succeeded = Int(try file.query("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'").first?.first?.integer ?? -1)
        let entries = Int(try file.query("SELECT COUNT(*) FROM audit_logs").first?.first?.integer ?? -1)
        #expect(backupOutput.contains("jobs: \(jobs) (") && backupOutput.contains("intact, \(entries) entries"), "\(backupOutput)")
        #expect(backupOutput.contains("sealed credentials: 1"))
        let originalJobs = try SQLiteConnection(path: original + "/arbiter.db").query("SELECT COUNT(*) FROM jobs").first?.first?.integer ?? 0
        #expect(Int(originalJobs) > jobs, "the load went on after the backup")

        let restore = try await ArbiterServer.run(
            ["restore", backup, "--data-dir", restored, "--vault-key-file", original + "/vault.key"], in: directory)
        #expect(restore.status == 0 && restore.stdout.contains("jobs: \(jobs) ("), "\(restore.stdout)\(restore.stderr)")
        let twice = try await ArbiterServer.run(["restore", backup, "--data-dir", restored], in: directory)
        #expect(twice.status == 1 && twice.stderr.contains("exists"), "\(twice.stderr)")

        // The tokens are in the store; the operator still holds the admin token the first start wrote.
        try FileManager.default.copyItem(atPath: original + "/admin.token", toPath: restored + "/admin.token")
        try await ArbiterServer.with(config: Self.config, dataDirectory: restored) { server in
            let verified = self.json(try await server.get("/api/v1/audit/verify"))
            #expect(verified["intact"] as? Bool == true && (verified["length"] as? Int ?? 0) > entries, "\(verified)")
            #expect(try await server.store.count("SELECT COUNT(*) FROM jobs") == jobs)
            #expect(try await server.store.count("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'") >= succeeded)
            // The vault opens the credential sealed before the backup: it travels to the worker.
            let worker = try WorkerProcess(server: server, id: "w2", exec: ["fetch_odds": Self.echo])
            defer { Task { await worker.stop() } }
            let submitted = try await server.post("/api/v1/jobs", json: #"{"type":"fetch_odds","payload":{},"user_id":"u1"}"#)
            let id = try #require(self.json(submitted)["id"] as? String)
            var last: [String: Any] = [:]
            try await Polling.until("the consented job ran") {
                last = self.json(try await server.get("/api/v1/jobs/\(id)"))
                return last["state"] as? String == "succeeded"
            }
            #expect(last["result"] as? String == "session-7f3a")
        }
    }

    @Test func thePostgreSQLStoreIsBackedUpWithItsOwnTools() async throws {
        let directory = try TemporaryDirectory(prefix: "backup-pg")
        defer { directory.remove() }
        let refused = try await ArbiterServer.run(
            ["backup", "--out", directory.file("x"), "--store", "postgres://arbiter:secret@127.0.0.1:1/arbiter"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("pg_dump") && !refused.stderr.contains("secret"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("x")))
    }
}
