import ArbiterJobs
import Testing

/// Submission and leasing, the same on every store: queued or scheduled, idempotency, the order
/// jobs are leased in, and the caps, quotas and pauses that hold leasing back.
@Suite struct StoreConformanceJobsTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func submitStoresQueuedOrScheduledJobs(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let now = try await store.submit(Sample.submission(runAt: 1000), now: 1000).job
            #expect(now.state == .queued && now.attempt == 0 && now.tags == ["t1"] && now.retry == Sample.retry)
            #expect(now.queuedAt == 1000 && now.createdAt == 1000 && now.lease == nil)
            let later = try await store.submit(Sample.submission(runAt: 5000), now: 1000).job
            #expect(later.state == .scheduled && later.queuedAt == nil)
            #expect(try await store.job(id: now.id) == now)
            #expect(try await store.job(id: later.id) == later)
            #expect(try await store.job(id: "missing") == nil)
            #expect(try await store.attempts(jobID: now.id).isEmpty)
        }
    }

    /// The API's 201, 200 and 409: a new key creates, the same request again gets the same job, the
    /// key with a different request is refused.
    @Test(arguments: StoreKind.allCases)
    func idempotencyReturnsTheOriginalOrConflicts(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let first = try await store.submit(Sample.submission(key: "k1", hash: "h1"), now: 1000)
            guard case .created(let job) = first else {
                Issue.record("not created: \(first)")
                return
            }
            let again = try await store.submit(Sample.submission(key: "k1", hash: "h1"), now: 2000)
            #expect(again == .existing(job))
            let error = await #expect(throws: JobStoreError.self) { _ = try await store.submit(Sample.submission(key: "k1", hash: "h2"), now: 2000) }
            #expect(error?.code == .idempotencyConflict && error?.index == 0)
            let stored = try await store.list(JobFilter(), after: nil, limit: 10)
            #expect(stored.map(\.id) == [job.id])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchIsStoredWholeOrNotAtAll(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let original = try await store.submit(Sample.submission(key: "taken", hash: "h1"), now: 1000).job
            // A key repeated inside one batch is the job stored earlier in that batch.
            let twice = try await store.submit([Sample.submission(key: "dup", hash: "x"), Sample.submission(key: "dup", hash: "x")], now: 1100)
            #expect(twice.count == 2)
            guard case .created(let created) = twice[0] else {
                Issue.record("not created: \(twice[0])")
                return
            }
            #expect(twice[1] == .existing(created))
            // The second submission conflicts: the first is not stored either.
            let batch = [Sample.submission(key: "fresh", hash: "h"), Sample.submission(key: "taken", hash: "h2")]
            let refusal = await #expect(throws: JobStoreError.self) { _ = try await store.submit(batch, now: 1200) }
            #expect(refusal?.code == .idempotencyConflict && refusal?.index == 1)
            let stored = try await store.list(JobFilter(), after: nil, limit: 10)
            #expect(stored.map(\.id) == [original.id, created.id])
            let audited = try await store.verifyAudit()
            #expect(audited.intact && audited.length == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func leasesGoByPriorityThenRunAtThenIDAndOnlyForTheWorkersTypes(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let low = try await store.submit(Sample.submission(priority: 0, runAt: 1000), now: 1000).job
            let high = try await store.submit(Sample.submission(priority: 5, runAt: 1001), now: 1001).job
            let older = try await store.submit(Sample.submission(priority: 0, runAt: 999), now: 1002).job
            // Same priority and run_at as `low`: the smaller (earlier) id goes first.
            let twin = try await store.submit(Sample.submission(priority: 0, runAt: 1000), now: 1003).job
            _ = try await store.submit(Sample.submission("sms", priority: 9, runAt: 1000), now: 1003)
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 10, leaseMilliseconds: 30_000, now: 2000)
            #expect(leased.map(\.id) == [high.id, older.id, low.id, twin.id])
            #expect(leased.allSatisfy { $0.state == .running && $0.attempt == 1 && $0.lease?.workerID == "w1" && $0.lease?.expiresAt == 32_000 })
            #expect(leased.allSatisfy { $0.startedAt == 2000 && $0.lease?.credential == nil })
            #expect(Set(leased.compactMap { $0.lease?.token }).count == 4)
            let nothingLeft = try await store.lease(types: ["email"], workerID: "w2", limit: 10, leaseMilliseconds: 30_000, now: 2000)
            #expect(nothingLeft.isEmpty)
            let stored = try #require(try await store.job(id: high.id))
            #expect(stored == leased[0])
            let attempts = try await store.attempts(jobID: high.id)
            #expect(attempts == [JobAttempt(number: 1, workerID: "w1", startedAt: 2000, finishedAt: nil, outcome: nil, error: nil)])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aLeaseNeverReturnsMoreThanItsLimit(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            for index in 0..<12 { _ = try await store.submit(Sample.submission(), now: Int64(1000 + index)) }
            let none = try await store.lease(types: ["email"], workerID: "w", limit: 0, leaseMilliseconds: 1000, now: 2000)
            #expect(none.isEmpty)
            let plain = try await store.lease(types: ["email"], workerID: "w", limit: 2, leaseMilliseconds: 1000, now: 2000)
            #expect(plain.count == 2)
            // Caps and quotas that do not bind look further ahead, but still lease only `limit`.
            let loose = LeaseLimits(concurrency: ["email": 100], quotas: ["email": 50])
            let capped = try await store.lease(types: ["email"], workerID: "w", limit: 3, leaseMilliseconds: 1000, limits: loose, now: 2000)
            #expect(capped.count == 3)
            let quota = LeaseLimits(quotas: ["email": 50])
            let quoted = try await store.lease(types: ["email"], workerID: "w", limit: 4, leaseMilliseconds: 1000, limits: quota, now: 2000)
            #expect(quoted.count == 4)
            let counts = try await store.countsByType()
            #expect(counts["email"] == [.running: 9, .queued: 3])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTypeNeverRunsMoreThanItsLimitAcrossWorkers(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            for index in 0..<5 {
                _ = try await store.submit(Sample.submission("email"), now: Int64(1000 + index))
            }
            _ = try await store.submit(Sample.submission("sms"), now: 1000)
            let limits = LeaseLimits(concurrency: ["email": 2])
            let first = try await store.lease(types: ["email", "sms"], workerID: "a", limit: 10, leaseMilliseconds: 60_000, limits: limits, now: 2000)
            #expect(first.filter { $0.type == "email" }.count == 2 && first.filter { $0.type == "sms" }.count == 1)
            let second = try await store.lease(types: ["email"], workerID: "b", limit: 10, leaseMilliseconds: 60_000, limits: limits, now: 2100)
            #expect(second.isEmpty)
            let done = try #require(first.first { $0.type == "email" })
            _ = try await store.complete(id: done.id, token: try #require(done.lease?.token), result: nil, now: 2200)
            let third = try await store.lease(types: ["email"], workerID: "b", limit: 10, leaseMilliseconds: 60_000, limits: limits, now: 2300)
            #expect(third.count == 1)
            let running = try await store.list(JobFilter(state: .running, type: "email"), after: nil, limit: 10)
            #expect(running.count == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRateQuotaBoundsOneLease(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            var emails: [String] = []
            for index in 0..<5 { emails.append(try await store.submit(Sample.submission("email"), now: Int64(1000 + index)).job.id) }
            for index in 0..<2 { _ = try await store.submit(Sample.submission("sms"), now: Int64(1010 + index)) }
            let quota = LeaseLimits(quotas: ["email": 2])
            let first = try await store.lease(types: ["email", "sms"], workerID: "w", limit: 10, leaseMilliseconds: 1000, limits: quota, now: 2000)
            #expect(first.filter { $0.type == "email" }.map(\.id) == Array(emails[0..<2]))
            #expect(first.filter { $0.type == "sms" }.count == 2)
            let spent = LeaseLimits(quotas: ["email": 0])
            let none = try await store.lease(types: ["email", "sms"], workerID: "w", limit: 10, leaseMilliseconds: 1000, limits: spent, now: 2100)
            #expect(none.isEmpty)
            // The quota is per call: the next window's quota leases on.
            let rest = try await store.lease(types: ["email"], workerID: "w", limit: 10, leaseMilliseconds: 1000, limits: quota, now: 2200)
            #expect(rest.map(\.id) == Array(emails[2..<4]))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func pausedTypesAreNotLeased(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.submit(Sample.submission("email"), now: 1000)
            _ = try await store.submit(Sample.submission("sms"), now: 1000)
            #expect(try await store.pausedTypes().isEmpty)
            try await store.setPaused(type: "email", paused: true, now: 1100)
            #expect(try await store.pausedTypes() == ["email"])
            let leased = try await store.lease(types: ["email", "sms"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 1200)
            #expect(leased.map(\.type) == ["sms"])
            try await store.setPaused(type: "email", paused: false, now: 1300)
            #expect(try await store.pausedTypes().isEmpty)
            let resumed = try await store.lease(types: ["email"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 1400)
            #expect(resumed.count == 1)
            let counts = try await store.countsByType()
            #expect(counts["email"] == [.running: 1] && counts["sms"] == [.running: 1])
            let entries = try await store.auditEntries(AuditFilter(subjectType: "job_type"), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["job_type.paused", "job_type.resumed"])
        }
    }

    /// A submission may lease to its worker in the same commit; what it cannot lease stays queued.
    @Test(arguments: StoreKind.allCases)
    func aSubmissionCanLeaseInTheSameCommit(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let request = LeaseRequest(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 5000, limits: LeaseLimits())
            let result = try await store.submit(
                [Sample.submission(priority: 1), Sample.submission(priority: 7), Sample.submission("sms")], now: 1000, thenLease: request)
            #expect(result.outcomes.count == 3)
            let urgent = result.outcomes[1].job
            #expect(result.leased.map(\.id) == [urgent.id])
            #expect(result.leased.first?.state == .running && result.leased.first?.lease?.expiresAt == 6000)
            #expect(try await store.job(id: urgent.id)?.state == .running)
            #expect(try await store.job(id: result.outcomes[0].job.id)?.state == .queued)
            let idle = LeaseRequest(types: ["email"], workerID: "w1", limit: 0, leaseMilliseconds: 5000, limits: LeaseLimits())
            let stored = try await store.submit([Sample.submission()], now: 1100, thenLease: idle)
            #expect(stored.leased.isEmpty && stored.outcomes.first?.job.state == .queued)
        }
    }
}
