import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Synchronization
import Testing

/// Concurrent store operations share transactions, and one refused operation in a group undoes only
/// itself.
@Suite struct GroupCommitTests {
    static func submission(_ key: String, _ hash: String) -> JobSubmission {
        let retry = RetryPolicy(maxAttempts: 1, initialBackoff: .seconds(1), maxBackoff: .seconds(1), timeout: .seconds(1))
        return JobSubmission(type: "t", payload: "{}", priority: 0, runAt: 0, retry: retry, idempotencyKey: key, requestHash: hash, tags: [])
    }

    @Test func concurrentSubmissionsShareCommitsAndAllLand() async throws {
        let directory = try TemporaryDirectory(prefix: "groupcommit")
        defer { directory.remove() }
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: directory.file("arbiter.db")))
        let commits = Mutex<(commits: Int, operations: Int)>((0, 0))
        let store = try Ledger.sqlite(path: directory.file("arbiter.db")) { operations, _ in
            commits.withLock { $0.commits += 1; $0.operations += operations }
        }
        _ = try await store.submit(Self.submission("taken", "first"), now: 1)
        let conflicts = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<400 {
                group.addTask {
                    do {
                        // Every 40th reuses a key for a different request: refused, and nothing else in its group is lost.
                        _ = try await store.submit(index % 40 == 0 ? Self.submission("taken", "other-\(index)") : Self.submission("k\(index)", "h"), now: 2)
                    } catch let error as JobStoreError where error.code == .idempotencyConflict {
                        conflicts.add()
                    }
                }
            }
            try await group.waitForAll()
        }
        let stored = try await store.list(JobFilter(), after: nil, limit: 1000)
        #expect(stored.count == 1 + 390)
        #expect(conflicts.value == 10)
        let (commitCount, operationCount) = commits.withLock { ($0.commits, $0.operations) }
        #expect(operationCount >= 401)
        #expect(commitCount < operationCount, "\(operationCount) operations took \(commitCount) commits: nothing was grouped")
        try await store.close()
    }

    /// A batch that writes audit entries and is then refused rolls back inside a group: the entries
    /// written after it in the same commit chain onto the entry before it, not onto its undone ones.
    @Test func aRefusedBatchInAGroupLeavesTheAuditChainWhole() async throws {
        let directory = try TemporaryDirectory(prefix: "groupcommit-audit")
        defer { directory.remove() }
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: directory.file("arbiter.db")))
        let store = try Ledger.sqlite(path: directory.file("arbiter.db"))
        _ = try await store.submit(Self.submission("taken", "first"), now: 1)
        let refused = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<300 {
                group.addTask {
                    // Every third batch stores (and audits) its first job, then meets a taken key: undone whole.
                    let second = index % 3 == 0 ? Self.submission("taken", "other-\(index)") : Self.submission("b\(index)", "h")
                    do {
                        _ = try await store.submit([Self.submission("a\(index)", "h"), second], now: 2, thenLease: nil)
                    } catch let error as JobStoreError where error.code == .idempotencyConflict {
                        refused.add()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(refused.value == 100)
        let verification = try await store.verifyAudit()
        #expect(verification.intact, "\(String(describing: verification.firstBroken))")
        #expect(verification.length == 1 + 200 * 2, "one entry per stored job")
        try await store.close()
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { self.count.withLock { $0 += 1 } }
    var value: Int { self.count.withLock { $0 } }
}
