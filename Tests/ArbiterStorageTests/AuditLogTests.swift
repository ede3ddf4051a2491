import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Testing

/// The audit log on a real SQLite file: written in the change's transaction, chained, verifiable,
/// tamper-evident, and fail-closed.
@Suite struct AuditLogTests {
    static let retry = RetryPolicy(maxAttempts: 2, initialBackoff: .seconds(1), maxBackoff: .seconds(10), timeout: .seconds(30))

    func submission(_ key: String? = nil) -> JobSubmission {
        JobSubmission(type: "email", payload: "{}", runAt: 1000, retry: Self.retry, idempotencyKey: key, requestHash: key)
    }

    func withStore(_ body: (SQLiteJobStore, String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "audit")
        defer { directory.remove() }
        let path = directory.file("arbiter.db")
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: path))
        let store = try SQLiteJobStore(path: path)
        do {
            try await body(store, path)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func everyTransitionIsAnEntryByItsActor() async throws {
        try await self.withStore { store, _ in
            let job = try await AuditActor.$current.withValue("token:ci") { try await store.submit(self.submission(), now: 1000).job }
            let leased = try await AuditActor.$current.withValue("worker:w1") {
                try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1001)
            }
            _ = try await store.complete(id: job.id, token: leased[0].lease!.token, result: nil, now: 1002)
            let entries = try await store.auditEntries(AuditFilter(subjectID: job.id), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["job.submitted", "job.leased", "job.succeeded"])
            #expect(entries.map(\.actor) == ["token:ci", "worker:w1", "system"])
            #expect(entries[0].details == #"{"state":"queued","type":"email"}"#)
            #expect(entries[0].prevHash == AuditChain.genesis && entries[1].prevHash == entries[0].hash)
            let verification = try await store.verifyAudit()
            #expect(verification == AuditVerification(length: 3, firstBroken: nil, head: AuditHead(seq: 3, hash: entries[2].hash)))
        }
    }

    @Test func concurrentWritersNeverForkTheChain() async throws {
        try await self.withStore { store, path in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { _ = try await store.submit(self.submission("k\(index % 150)"), now: 1000) }
                }
                try await group.waitForAll()
            }
            // 150 distinct keys: 150 jobs and 150 entries, one chain.
            let verification = try await store.verifyAudit()
            #expect(verification.intact && verification.length == 150 && verification.head?.seq == 150)
            #expect(try await store.auditChainHead()?.seq == 150)
            let seqs = try AuditLogReader.entries(AuditFilter(), after: nil, limit: 1000, SQLiteConnection(path: path)).map(\.seq)
            #expect(seqs == Array(1...150))
        }
    }

    @Test func editingAnEntryIsCaughtAtThatEntry() async throws {
        try await self.withStore { store, path in
            for _ in 0..<5 { _ = try await store.submit(self.submission(), now: 1000) }
            let tamper = try SQLiteConnection(path: path)
            try tamper.execute("UPDATE audit_logs SET actor = 'mallory' WHERE seq = 3")
            let verification = try AuditLogReader.verify(tamper)
            #expect(verification.firstBroken?.seq == 3)
            #expect(verification.length == 2)
            try tamper.execute("DELETE FROM audit_logs WHERE seq = 3")
            #expect(try AuditLogReader.verify(tamper).firstBroken == .init(seq: 3, reason: "entry 3 is missing (the next is 4)"))
        }
    }

    @Test func aFailedAuditWriteUndoesTheChange() async throws {
        try await self.withStore { store, path in
            let kept = try await store.submit(self.submission(), now: 1000).job
            let sabotage = try SQLiteConnection(path: path)
            try sabotage.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit disk full'); END")
            await #expect(throws: AuditWriteError.self) { try await store.submit(self.submission(), now: 1001) }
            await #expect(throws: AuditWriteError.self) { try await store.cancel(id: kept.id, reason: "test", now: 1002) }
            #expect(try await store.list(JobFilter(), after: nil, limit: 10).map(\.id) == [kept.id])
            #expect(try await store.job(id: kept.id)?.state == .queued)
            try sabotage.execute("DROP TRIGGER no_audit")
            _ = try await store.cancel(id: kept.id, reason: "test", now: 1003)
            let whole = try await store.verifyAudit()
            #expect(whole.intact && whole.length == 2)
        }
    }
}
