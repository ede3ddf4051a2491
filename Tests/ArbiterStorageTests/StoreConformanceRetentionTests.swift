import ArbiterJobs
import Testing

/// Retention, the same on every store: finished jobs past their state's (or their type's) period go
/// with their attempts, in batches, audited; everything else stays.
@Suite struct StoreConformanceRetentionTests {
    typealias Sample = StoreSamples

    /// A job of `type` submitted at 1000 and run to `ending` at 2000.
    static func finished(_ type: String, _ ending: JobState, key: String? = nil, in store: Ledger) async throws -> JobRecord {
        let job = try await store.submit(Sample.submission(type, key: key, hash: key), now: 1000).job
        if ending == .cancelled { return try await store.cancel(id: job.id, reason: "x", now: 2000).job }
        let leased = try await store.lease(types: [type], workerID: "w1", limit: 1, leaseMilliseconds: 10_000, now: 1500)
        let token = try #require(leased.first { $0.id == job.id }?.lease?.token)
        if ending == .succeeded { return try await store.complete(id: job.id, token: token, result: nil, now: 2000) }
        var failed = try await store.fail(id: job.id, token: token, error: "x", retryDelay: 0, now: 1600)
        _ = try await store.promoteDueJobs(now: 1700)
        let again = try await store.lease(types: [type], workerID: "w1", limit: 1, leaseMilliseconds: 10_000, now: 1800)
        failed = try await store.fail(id: job.id, token: try #require(again.first?.lease?.token), error: "x", retryDelay: 0, now: 2000)
        #expect(failed.state == .dead)
        return failed
    }

    @Test(arguments: StoreKind.allCases)
    func finishedJobsPastTheirPeriodGoWithTheirAttempts(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, handle in
            let gone = try await Self.finished("email", .succeeded, key: "k1", in: store)
            let cancelled = try await Self.finished("email", .cancelled, in: store)
            let dead = try await Self.finished("email", .dead, in: store)
            let kept = try await Self.finished("ledger", .succeeded, in: store)
            let queued = try await store.submit(Sample.submission("email"), now: 1000).job
            // Successes older than 3000 go, cancellations older than 1500 (none), dead jobs never;
            // the ledger type keeps its successes forever.
            let cutoffs = RetentionCutoffs(byState: [.succeeded: 3000, .cancelled: 1500], byType: ["ledger": [.succeeded: nil]])
            let pruned = try await AuditActor.$current.withValue("system:retention") { try await store.prune(cutoffs, limit: 10, now: 5000) }
            #expect(pruned == [PrunedJob(id: gone.id, type: "email", state: .succeeded)])
            #expect(try await store.job(id: gone.id) == nil)
            #expect(try await store.attempts(jobID: gone.id).isEmpty)
            #expect(try await handle.scalar("SELECT COUNT(*) FROM job_attempts WHERE job_id = '\(gone.id)'") == "0")
            for job in [cancelled, dead, kept, queued] { #expect(try await store.job(id: job.id) != nil) }
            #expect(try await store.prune(cutoffs, limit: 10, now: 5001).isEmpty)

            let entry = try #require(try await store.auditEntries(AuditFilter(action: "jobs.pruned"), after: nil, limit: 10).first)
            #expect(entry.actor == "system:retention" && entry.subjectType == "retention" && entry.subjectID == "jobs")
            #expect(entry.details == #"{"count":"1","first_id":"\#(gone.id)","last_id":"\#(gone.id)","succeeded":"1"}"#)
            #expect(try await store.verifyAudit().intact)

            // The key is free again: the same request makes a new job.
            let again = try await store.submit(Sample.submission("email", key: "k1", hash: "k1"), now: 6000)
            guard case .created(let fresh) = again else { Issue.record("expected a new job, got \(again)"); return }
            #expect(fresh.id != gone.id)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func largePrunesGoInBatchesOldestFirst(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await Self.finished("email", .cancelled, in: store).id) }
            let cutoffs = RetentionCutoffs(policy: .default, overrides: ["email": .init(states: [.cancelled: .period(.milliseconds(100))])], now: 3000)
            let first = try await store.prune(cutoffs, limit: 2, now: 3000)
            let second = try await store.prune(cutoffs, limit: 2, now: 3000)
            let third = try await store.prune(cutoffs, limit: 2, now: 3000)
            #expect((first + second + third).map(\.id) == ids)
            #expect([first.count, second.count, third.count] == [2, 2, 1])
            let statistics = try await store.statistics()
            #expect(statistics.sizeBytes > 0)
            if kind == .sqlite { #expect(statistics.rows["jobs"] == 0 && statistics.rows["job_attempts"] == 0 && statistics.rows["audit_logs"] == 13) }
        }
    }

    @Test func cutoffsFollowThePolicyAndTheOverrides() {
        let cutoffs = RetentionCutoffs(
            policy: RetentionPolicy(periods: [.succeeded: .seconds(10), .dead: .seconds(100)]),
            overrides: ["a": .init(states: [.succeeded: .forever]), "b": .init(states: [.cancelled: .period(.seconds(1))]), "c": .init()],
            now: 1_000_000)
        #expect(cutoffs.byState == [.succeeded: 990_000, .dead: 900_000])
        #expect(cutoffs.byType == ["a": [.succeeded: nil], "b": [.cancelled: 999_000]])
        #expect(cutoffs.latest == 999_000)
        #expect(RetentionCutoffs(policy: RetentionPolicy(periods: [:]), overrides: [:], now: 5).latest == nil)
        #expect(StoreConditions.prunable(RetentionCutoffs(policy: RetentionPolicy(periods: [:]), overrides: [:], now: 5)) == nil)
    }
}
