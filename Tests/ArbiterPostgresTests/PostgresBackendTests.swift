import ArbiterJobs
@testable import ArbiterPostgres
import ArbiterTesting
import Synchronization
import Testing

/// The backend on a real PostgreSQL: group commits, exact round trips, idempotency races, the audit
/// lock across connections and announcements across processes. (The store's behaviour as a whole is
/// the shared conformance suite's.)
@Suite(.enabled(if: PostgresServer.shouldRun)) struct PostgresBackendTests {
    @Test func aJobComesBackExactlyAsStored() async throws {
        try await withBackend { backend in
            let job = Self.job("j1", key: "k1", payload: #"{ "to" :"a@example.com",  "amount": 1.50, "nested": {"b": 1, "a": [1e3, null]} }"#,
                tags: ["a b", #"c"d"#, "é", #"x\y"#, ""])
            try await backend.write { try $0.insertJob(job, requestHash: "h1") }
            #expect(try await backend.read { try $0.job(id: "j1") } == job)
            let stored = try await backend.read { try $0.job(idempotencyKey: "k1") }
            #expect(stored?.job == job && stored?.requestHash == "h1")

            var leased = job
            leased.state = .running
            leased.attempt = 1
            leased.lease = JobLease(workerID: "w1", token: .max, expiresAt: 5000)
            leased.startedAt = 2000
            leased.updatedAt = 2000
            leased.result = #"{"ok" :  true}"#
            let update = leased
            try await backend.write { try $0.updateJob(update, from: job) }
            #expect(try await backend.read { try $0.job(id: "j1") } == update)
            let tagged = try await backend.read { try $0.jobs(JobFilter(tag: #"c"d"#), after: nil, limit: 10) }
            #expect(tagged.map(\.id) == ["j1"])
        }
    }

    @Test func aTakenIdempotencyKeyIsAConflictThatLeavesTheTransactionUsable() async throws {
        let url = try await TestDatabase.migrated()
        try await withBackend(url) { first in
            try await withBackend(url) { second in
                try await first.write { try $0.insertJob(Self.job("j1", key: "same"), requestHash: "h") }
                let (conflict, existing) = try await second.write { transaction in
                    var conflict: StoreConflict?
                    do {
                        try transaction.insertJob(Self.job("j2", key: "same"), requestHash: "h")
                    } catch let error as StoreConflict {
                        conflict = error
                    }
                    // Nothing was aborted: the same transaction goes on.
                    try transaction.insertJob(Self.job("j3", key: nil), requestHash: nil)
                    return (conflict, try transaction.job(idempotencyKey: "same")?.job.id)
                }
                #expect(conflict == .idempotencyKeyTaken("same"))
                #expect(existing == "j1")
                let ids = try await first.read { try $0.jobs(JobFilter(), after: nil, limit: 10).map(\.id) }
                #expect(ids == ["j1", "j3"])
            }
        }
    }

    @Test func anOperationThatThrowsUndoesOnlyItselfInItsGroup() async throws {
        struct Refused: Error {}
        try await withBackend { backend in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await backend.write { transaction in
                                try transaction.insertJob(Self.job(Self.paddedID(index), key: nil), requestHash: nil)
                                if index % 2 == 1 { throw Refused() }
                            }
                            #expect(index % 2 == 0)
                        } catch is Refused {
                            #expect(index % 2 == 1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let ids = try await backend.read { try $0.jobs(JobFilter(), after: nil, limit: 100).map(\.id) }
            #expect(ids == (0..<40).filter { $0 % 2 == 0 }.map(Self.paddedID))
        }
    }

    @Test func aDeadlockVictimRunsAgainAndIsStoredOnce() async throws {
        try await withBackend { backend in
            let runs = Mutex(0)
            try await backend.write { transaction in
                let run = runs.withLock { runs in
                    runs += 1
                    return runs
                }
                try transaction.insertJob(Self.job("j1", key: nil), requestHash: nil)
                if run == 1, let postgres = transaction as? PostgresTransaction {
                    // What PostgreSQL answers the transaction it picks to break a deadlock.
                    try postgres.query("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$")
                }
            }
            #expect(runs.withLock { $0 } == 2)
            #expect(try await backend.read { try $0.jobs(JobFilter(), after: nil, limit: 10).map(\.id) } == ["j1"])
        }
    }

    @Test func aFailedCommitFailsTheOperationAndCallsTheRollbackHandlers() async throws {
        let url = try await TestDatabase.migrated()
        // A check PostgreSQL makes only at COMMIT.
        try PostgresConnection(PostgresConfiguration(url)).execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poison'; END $$;
            CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON jobs DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.type = 'poison') EXECUTE FUNCTION refuse_poison();
            """)
        try await withBackend(url) { backend in
            let rollbacks = Mutex(0)
            backend.onRollback { rollbacks.withLock { $0 += 1 } }
            var poison = Self.job("j1", key: nil)
            poison.type = "poison"
            let job = poison
            let error = await #expect(throws: PostgresError.self) { try await backend.write { try $0.insertJob(job, requestHash: nil) } }
            #expect(error?.sqlState == "P0001")
            #expect(rollbacks.withLock { $0 } == 1)
            #expect(try await backend.read { try $0.job(id: "j1") } == nil)
            try await backend.write { try $0.insertJob(Self.job("j2", key: nil), requestHash: nil) }
            #expect(rollbacks.withLock { $0 } == 1)
        }
    }

    @Test func auditAppendsFromManyConnectionsNeverFork() async throws {
        let url = try await TestDatabase.migrated()
        let writers = 8
        let appendsEach = 15
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    try await withBackend(url, poolSize: 1) { backend in
                        for _ in 0..<appendsEach {
                            try await backend.write { transaction in
                                // Two entries per transaction: the second reads the head this transaction moved.
                                for _ in 0..<2 { try transaction.appendAudit(Self.nextEntry(after: try transaction.auditHeadForAppend(), writer: writer)) }
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await withBackend(url) { backend in
            let entries = try await backend.read { try $0.auditEntries(AuditFilter(), after: nil, limit: 10_000) }
            #expect(entries.count == writers * appendsEach * 2)
            #expect(entries.map(\.seq) == Array(1...Int64(entries.count)))
            for (previous, entry) in zip(entries, entries.dropFirst()) {
                #expect(entry.prevHash == previous.hash, "entry \(entry.seq) does not follow entry \(previous.seq)")
            }
            #expect(try await backend.read { try $0.auditHead() } == AuditHead(seq: entries.last?.seq ?? 0, hash: entries.last?.hash ?? []))
        }
    }

    /// The group takes the audit lock before any row (so two processes' groups cannot deadlock on it),
    /// outside every savepoint: an operation rolled back does not give it back.
    @Test func theAuditLockIsHeldFromTheGroupsStartThroughSavepointRollbacks() async throws {
        struct Undo: Error {}
        try await withBackend { backend in
            let held = try await backend.write { transaction in
                guard let postgres = transaction as? PostgresTransaction else { return [Int64?]() }
                let advisoryLocks = { () throws -> Int64? in
                    let rows = try postgres.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                    return rows.first?[0].int64
                }
                var counts: [Int64?] = []
                _ = try? transaction.atomically {
                    _ = try transaction.auditHeadForAppend()
                    counts.append(try advisoryLocks())
                    throw Undo()
                }
                counts.append(try advisoryLocks())
                // Still held: the append goes through under it.
                try transaction.appendAudit(Self.nextEntry(after: try transaction.auditHeadForAppend(), writer: 0))
                counts.append(try advisoryLocks())
                return counts
            }
            #expect(held == [1, 1, 1])
        }
    }

    @Test func queuedWorkIsAnnouncedToEveryBackendAtCommit() async throws {
        struct Refused: Error {}
        let url = try await TestDatabase.migrated()
        try await withBackend(url) { listening in
            let heard = Heard()
            listening.onQueued { heard.append($0) }
            try await Polling.until("the backend listens", timeout: .seconds(10)) { heard.all.contains(nil) }
            try await withBackend(url) { announcing in
                // Rolled back: announces nothing.
                _ = try? await announcing.write { transaction in
                    try transaction.announceQueued(types: ["lost"])
                    throw Refused()
                }
                try await announcing.write { try $0.announceQueued(types: ["email", "sms"]) }
                try await Polling.until("the announcement arrives", timeout: .seconds(10)) { heard.all.contains(["email", "sms"]) }
                #expect(!heard.all.contains { $0?.contains("lost") == true })
                // Too long for a payload: any type.
                let many = Set((0..<200).map { "type-with-a-long-name-\($0)-" + String(repeating: "x", count: 40) })
                try await announcing.write { try $0.announceQueued(types: many) }
                try await Polling.until("the long announcement arrives", timeout: .seconds(10)) { heard.all.filter { $0 == nil }.count >= 2 }
            }
        }
    }

    @Test func whileTheServerIsDownOperationsFailSoonAndServiceResumesAfterARestart() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let url = try await TestDatabase.create(on: server)
        _ = try await PostgresMigrator().migrate(PostgresConfiguration(url))
        var configuration = PostgresConfiguration(url, poolSize: 2, connectTimeout: .seconds(2), acquireTimeout: .seconds(2))
        configuration.maxReconnectDelay = .milliseconds(500)
        configuration.responseTimeout = .seconds(60)
        let backend = try PostgresBackend(configuration: configuration)
        do {
            let heard = Heard()
            backend.onQueued { heard.append($0) }
            try await Polling.until("the backend listens", timeout: .seconds(10)) { heard.all.count == 1 }
            try await backend.write { try $0.insertJob(Self.job("before", key: nil), requestHash: nil) }

            try await server.halt()
            for operation in ["write", "read"] {
                let started = ContinuousClock.now
                await #expect(throws: StoreUnavailable.self, "\(operation)") {
                    if operation == "write" {
                        try await backend.write { try $0.insertJob(Self.job("during", key: nil), requestHash: nil) }
                    } else {
                        _ = try await backend.read { try $0.job(id: "before") }
                    }
                }
                // The refusal is due at once (the port is closed) and at worst after an acquire wait and a
                // connect timeout; the bound adds room for a busy machine and still tells a refusal from a
                // hang, which would last the 60 s response timeout or for ever.
                let bound = configuration.acquireTimeout + configuration.connectTimeout + .seconds(10)
                #expect(ContinuousClock.now - started < bound, "\(operation) took \(ContinuousClock.now - started)")
            }

            try await server.restart()
            try await Polling.until("writes work again", timeout: .seconds(30), interval: .milliseconds(200)) {
                (try? await backend.write { try $0.insertJob(Self.job("after", key: nil), requestHash: nil) }) != nil
            }
            #expect(try await backend.read { try $0.jobs(JobFilter(), after: nil, limit: 10).map(\.id) } == ["after", "before"])
            // The listener came back by itself, said so, and hears announcements again.
            try await Polling.until("the backend listens again", timeout: .seconds(30)) { heard.all.count >= 2 }
            try await backend.write { try $0.announceQueued(types: ["email"]) }
            try await Polling.until("the announcement arrives", timeout: .seconds(10)) { heard.all.contains(["email"]) }
        } catch {
            try? await backend.close()
            throw error
        }
        try await backend.close()
    }

    @Test func aClosedBackendRefusesNewWork() async throws {
        let backend = try PostgresBackend(configuration: PostgresConfiguration(try await TestDatabase.migrated()))
        try await backend.write { try $0.insertJob(Self.job("j1", key: nil), requestHash: nil) }
        try await backend.close()
        await #expect(throws: StoreUnavailable.self) { _ = try await backend.read { try $0.job(id: "j1") } }
    }

    // MARK: Helpers

    static func job(_ id: String, key: String?, payload: String = #"{"n":1}"#, tags: [String] = []) -> JobRecord {
        JobRecord(
            id: id, type: "email", payload: payload, priority: 0, state: .queued, runAt: 1000, attempt: 0,
            retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1000), maxBackoff: .milliseconds(60_000), timeout: .milliseconds(30_000)),
            idempotencyKey: key, userID: "u1", consentScope: nil, tags: tags, result: nil, lastError: nil, cancelReason: nil, lease: nil,
            createdAt: 1000, updatedAt: 1000, finishedAt: nil, queuedAt: 1000, startedAt: nil)
    }

    /// `j07`: ids that sort as their numbers do.
    static func paddedID(_ index: Int) -> String {
        index < 10 ? "j0\(index)" : "j\(index)"
    }

    /// An entry linked to `head`, with a stand-in hash (its `seq` and the writer): forks would show as
    /// two entries naming the same predecessor, or as a refused `seq`.
    static func nextEntry(after head: AuditHead?, writer: Int) -> AuditEntry {
        let seq = (head?.seq ?? 0) + 1
        var hash = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: seq.bigEndian) { hash.replaceSubrange(0..<8, with: $0) }
        hash[8] = UInt8(writer)
        return AuditEntry(
            seq: seq, at: seq, actor: "writer-\(writer)", action: "test.appended", subjectType: "test", subjectID: "\(seq)", details: "{}",
            prevHash: head?.hash ?? [UInt8](repeating: 0, count: 32), hash: hash)
    }
}

/// What `onQueued` handlers were called with, in order.
final class Heard: Sendable {
    private let calls = Mutex<[Set<String>?]>([])

    func append(_ types: Set<String>?) {
        self.calls.withLock { $0.append(types) }
    }

    var all: [Set<String>?] { self.calls.withLock { $0 } }
}

/// Runs `body` with a backend on a fresh migrated database (or on `url`), closed afterwards.
func withBackend(_ url: String? = nil, poolSize: Int = 4, _ body: (PostgresBackend) async throws -> Void) async throws {
    let url = if let url { url } else { try await TestDatabase.migrated() }
    let backend = try PostgresBackend(configuration: PostgresConfiguration(url, poolSize: poolSize))
    do {
        try await body(backend)
    } catch {
        try? await backend.close()
        throw error
    }
    try await backend.close()
}
