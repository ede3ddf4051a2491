import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Testing

/// The embedded job store on a real SQLite file: ordering, idempotency, fencing, retries, expiry.
@Suite struct SQLiteJobStoreTests {
    static let retry = RetryPolicy(maxAttempts: 2, initialBackoff: .seconds(1), maxBackoff: .seconds(10), timeout: .seconds(30))

    func withStore(_ body: (SQLiteJobStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "jobstore")
        defer { directory.remove() }
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: directory.file("arbiter.db")))
        let store = try SQLiteJobStore(path: directory.file("arbiter.db"))
        do {
            try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    func submission(_ type: String = "email", priority: Int = 0, runAt: Int64 = 1000, key: String? = nil, hash: String? = nil) -> JobSubmission {
        JobSubmission(type: type, payload: #"{"to":"a@example.com"}"#, priority: priority, runAt: runAt, retry: Self.retry,
                      idempotencyKey: key, requestHash: hash, tags: ["t1"])
    }

    @Test func submitStoresQueuedOrScheduledJobs() async throws {
        try await self.withStore { store in
            let now = try await store.submit(self.submission(runAt: 1000), now: 1000).job
            #expect(now.state == .queued && now.attempt == 0 && now.tags == ["t1"] && now.retry == Self.retry)
            let later = try await store.submit(self.submission(runAt: 5000), now: 1000).job
            #expect(later.state == .scheduled)
            #expect(try await store.job(id: now.id) == now)
            #expect(try await store.job(id: "missing") == nil)
        }
    }

    @Test func idempotencyReturnsTheOriginalOrConflicts() async throws {
        try await self.withStore { store in
            let first = try await store.submit(self.submission(key: "k1", hash: "h1"), now: 1000)
            guard case .created(let job) = first else { Issue.record("not created"); return }
            #expect(try await store.submit(self.submission(key: "k1", hash: "h1"), now: 2000) == .existing(job))
            let error = await #expect(throws: JobStoreError.self) { try await store.submit(self.submission(key: "k1", hash: "h2"), now: 2000) }
            #expect(error?.code == .idempotencyConflict)
        }
    }

    @Test func leasesGoByPriorityThenFIFOAndOnlyForTheWorkersTypes() async throws {
        try await self.withStore { store in
            let low = try await store.submit(self.submission(priority: 0, runAt: 1000), now: 1000).job
            let high = try await store.submit(self.submission(priority: 5, runAt: 1001), now: 1001).job
            let older = try await store.submit(self.submission(priority: 0, runAt: 999), now: 1002).job
            _ = try await store.submit(self.submission("sms", priority: 9, runAt: 1000), now: 1003)
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 10, leaseMilliseconds: 30_000, now: 2000)
            #expect(leased.map(\.id) == [high.id, older.id, low.id])
            #expect(leased.allSatisfy { $0.state == .running && $0.attempt == 1 && $0.lease?.workerID == "w1" && $0.lease?.expiresAt == 32_000 })
            #expect(Set(leased.compactMap { $0.lease?.token }).count == 3)
            #expect(try await store.lease(types: ["email"], workerID: "w2", limit: 10, leaseMilliseconds: 30_000, now: 2000).isEmpty)
        }
    }

    @Test func heartbeatsExtendOnlyTheLeasesTheWorkerNamesAndHelloEndsTheRest() async throws {
        try await self.withStore { store in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 3, labels: [:], now: 1000)
            for _ in 0..<3 { _ = try await store.submit(self.submission(), now: 1000) }
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 3, leaseMilliseconds: 10_000, now: 1000)
            #expect(leased.count == 3)
            let (kept, lost, gone) = (leased[0].id, leased[1].id, leased[2].id)
            _ = try await store.heartbeat(workerID: "w1", jobs: [kept, gone], leaseMilliseconds: 10_000, now: 5000)
            #expect(try await store.job(id: kept)?.lease?.expiresAt == 15_000)
            #expect(try await store.job(id: lost)?.lease?.expiresAt == 11_000, "a job the worker did not name is not extended")
            try await store.endLeases(workerID: "w1", except: [kept], now: 6000)
            #expect(try await store.job(id: kept)?.lease?.expiresAt == 15_000)
            #expect(try await store.job(id: gone)?.lease?.expiresAt == 6000)
            let expired = try await store.expireLeases(now: 6000)
            #expect(Set(expired.map(\.id)) == [lost, gone])
            #expect(expired.allSatisfy { $0.state == .queued })
        }
    }

    @Test func aStaleTokenIsRefusedAndChangesNothing() async throws {
        try await self.withStore { store in
            let job = try await store.submit(self.submission(), now: 1000).job
            let first = try #require(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000).first)
            // The first worker goes quiet; its lease runs out and another worker takes the job.
            #expect(try await store.expireLeases(now: 2000).map(\.state) == [.queued])
            let second = try #require(try await store.lease(types: ["email"], workerID: "w2", limit: 1, leaseMilliseconds: 1000, now: 2100).first)
            #expect(second.attempt == 2 && second.lease?.token != first.lease?.token)
            let staleCompletion = await #expect(throws: JobStoreError.self) {
                try await store.complete(id: job.id, token: first.lease!.token, result: "{}", now: 2200)
            }
            #expect(staleCompletion?.code == .staleLease)
            let staleFailure = await #expect(throws: JobStoreError.self) {
                try await store.fail(id: job.id, token: first.lease!.token, error: "late", retryDelay: 0, now: 2200)
            }
            #expect(staleFailure?.code == .staleLease)
            #expect(try await store.job(id: job.id) == second)
            let done = try await store.complete(id: job.id, token: second.lease!.token, result: #"{"ok":true}"#, now: 2300)
            #expect(done.state == .succeeded && done.result == #"{"ok":true}"# && done.lease == nil && done.finishedAt == 2300)
            // A completion after the fact is as stale as one from the wrong worker.
            await #expect(throws: JobStoreError.self) { try await store.complete(id: job.id, token: second.lease!.token, result: nil, now: 2400) }
        }
    }

    @Test func failuresBackOffThenDie() async throws {
        try await self.withStore { store in
            let job = try await store.submit(self.submission(), now: 1000).job
            let first = try #require(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000).first)
            let retried = try await store.fail(id: job.id, token: first.lease!.token, error: "smtp down", retryDelay: 700, now: 1100)
            #expect(retried.state == .scheduled && retried.runAt == 1800 && retried.lastError == "smtp down")
            #expect(try await store.promoteDueJobs(now: 1799) == 0)
            #expect(try await store.promoteDueJobs(now: 1800) == 1)
            let second = try #require(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1900).first)
            let dead = try await store.fail(id: job.id, token: second.lease!.token, error: "still down", retryDelay: 700, now: 2000)
            #expect(dead.state == .dead && dead.attempt == 2 && dead.finishedAt == 2000)
            let history = try await store.attempts(jobID: job.id)
            #expect(history == [
                JobAttempt(number: 1, workerID: "w1", startedAt: 1000, finishedAt: 1100, outcome: "failed", error: "smtp down"),
                JobAttempt(number: 2, workerID: "w1", startedAt: 1900, finishedAt: 2000, outcome: "failed", error: "still down"),
            ])
        }
    }

    @Test func anExpiredLastAttemptKillsTheJob() async throws {
        try await self.withStore { store in
            let job = try await store.submit(self.submission(), now: 1000).job
            for attempt in 1...2 {
                let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 100, now: Int64(1000 * attempt))
                #expect(leased.count == 1)
                _ = try await store.expireLeases(now: Int64(1000 * attempt + 100))
            }
            let final = try #require(try await store.job(id: job.id))
            #expect(final.state == .dead && final.lastError == "lease expired" && final.lease == nil)
        }
    }
}

/// Cancelling, retrying and listing on the embedded store.
@Suite struct SQLiteJobStoreOperatorTests {
    let fixture = SQLiteJobStoreTests()

    @Test func cancelAndRetryFollowTheLifecycle() async throws {
        try await self.fixture.withStore { store in
            let queued = try await store.submit(self.fixture.submission(), now: 1000).job
            let (cancelled, lease) = try await store.cancel(id: queued.id, reason: "not needed", now: 1100)
            #expect(cancelled.state == .cancelled && cancelled.cancelReason == "not needed" && lease == nil)
            let again = await #expect(throws: JobStoreError.self) { try await store.cancel(id: queued.id, reason: "x", now: 1200) }
            #expect(again?.code == .illegalTransition)
            let retried = try await store.retry(id: queued.id, now: 1300)
            #expect(retried.state == .queued && retried.attempt == 0 && retried.cancelReason == nil && retried.finishedAt == nil)
            let running = try #require(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1400).first)
            let (stopped, revoked) = try await store.cancel(id: running.id, reason: "operator", now: 1500)
            #expect(stopped.state == .cancelled && revoked == running.lease)
            let notRetryable = await #expect(throws: JobStoreError.self) {
                let fresh = try await store.submit(self.fixture.submission(), now: 1600).job
                _ = try await store.retry(id: fresh.id, now: 1700)
            }
            #expect(notRetryable?.code == .illegalTransition)
            let missing = await #expect(throws: JobStoreError.self) { try await store.cancel(id: "nope", reason: "x", now: 1) }
            #expect(missing?.code == .notFound)
        }
    }

    @Test func listingFiltersAndPagesInCreationOrder() async throws {
        try await self.fixture.withStore { store in
            var ids: [String] = []
            for index in 0..<7 {
                var submission = self.fixture.submission(index.isMultiple(of: 2) ? "email" : "sms", runAt: 1000)
                submission.tags = index == 3 ? ["vip"] : []
                ids.append(try await store.submit(submission, now: Int64(1000 + index)).job.id)
            }
            let firstPage = try await store.list(JobFilter(), after: nil, limit: 3)
            #expect(firstPage.map(\.id) == Array(ids[0..<3]))
            let secondPage = try await store.list(JobFilter(), after: firstPage.last?.id, limit: 3)
            #expect(secondPage.map(\.id) == Array(ids[3..<6]))
            #expect(try await store.list(JobFilter(type: "sms"), after: nil, limit: 10).map(\.id) == [ids[1], ids[3], ids[5]])
            #expect(try await store.list(JobFilter(tag: "vip"), after: nil, limit: 10).map(\.id) == [ids[3]])
            #expect(try await store.list(JobFilter(createdAfter: 1002, createdBefore: 1004), after: nil, limit: 10).map(\.id) == [ids[2], ids[3]])
            #expect(try await store.list(JobFilter(state: .running), after: nil, limit: 10).isEmpty)
        }
    }
}

/// Pausing a type stops its leasing at once and resuming restarts it.
@Suite struct SQLiteJobStorePauseTests {
    let fixture = SQLiteJobStoreTests()

    @Test func pausedTypesAreNotLeased() async throws {
        try await self.fixture.withStore { store in
            _ = try await store.submit(self.fixture.submission("email"), now: 1000)
            _ = try await store.submit(self.fixture.submission("sms"), now: 1000)
            try await store.setPaused(type: "email", paused: true, now: 1100)
            #expect(try await store.pausedTypes() == ["email"])
            let leased = try await store.lease(types: ["email", "sms"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 1200)
            #expect(leased.map(\.type) == ["sms"])
            try await store.setPaused(type: "email", paused: false, now: 1300)
            #expect(try await store.lease(types: ["email"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 1400).count == 1)
            let counts = try await store.countsByType()
            #expect(counts["email"] == [.running: 1] && counts["sms"] == [.running: 1])
        }
    }
}

/// Workers: registration, heartbeats, draining, going offline and being removed, and what each does
/// to the leases they hold.
@Suite struct SQLiteWorkerStoreTests {
    let fixture = SQLiteJobStoreTests()

    @Test func aSilentWorkerGoesOfflineAndItsJobsAreRequeued() async throws {
        try await self.fixture.withStore { store in
            let registered = try await store.register(id: "w1", capabilities: ["email"], concurrency: 2, labels: ["zone": "a"], now: 1000)
            #expect(registered.state == .idle && registered.labels == ["zone": "a"] && registered.capabilities == ["email"])
            let job = try await store.submit(self.fixture.submission(), now: 1000).job
            _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1100)
            #expect(try await store.worker(id: "w1")?.state == .busy)
            #expect(try await store.markOffline(silentSince: 1000, now: 1200).isEmpty)
            #expect(try await store.markOffline(silentSince: 5000, now: 5000) == ["w1"])
            #expect(try await store.expireLeases(now: 5000).map(\.id) == [job.id])
            #expect(try await store.job(id: job.id)?.state == .queued)
            #expect(try await store.worker(id: "w1")?.state == .offline)
            #expect(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 5100).isEmpty)
            #expect(try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 30_000, now: 5200).state == .idle)
        }
    }

    @Test func drainingWorkersTakeNoMoreAndRemovedOnesReleaseTheirJobs() async throws {
        try await self.fixture.withStore { store in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 1, labels: [:], now: 1000)
            _ = try await store.submit(self.fixture.submission(), now: 1000)
            _ = try await store.submit(self.fixture.submission(), now: 1001)
            _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1100)
            #expect(try await store.drain(workerID: "w1", now: 1200).state == .draining)
            #expect(try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1300).isEmpty)
            try await store.remove(workerID: "w1", now: 1400)
            #expect(try await store.worker(id: "w1") == nil)
            #expect(try await store.expireLeases(now: 1400).count == 1)
            let missing = await #expect(throws: JobStoreError.self) { try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 30_000, now: 1500) }
            #expect(missing?.code == .notFound)
        }
    }
}

/// A type's concurrency limit holds across workers.
@Suite struct SQLiteJobStoreConcurrencyTests {
    let fixture = SQLiteJobStoreTests()

    @Test func aTypeNeverRunsMoreThanItsLimit() async throws {
        try await self.fixture.withStore { store in
            for index in 0..<5 {
                _ = try await store.submit(self.fixture.submission("email"), now: Int64(1000 + index))
            }
            _ = try await store.submit(self.fixture.submission("sms"), now: 1000)
            let limits = ["email": 2]
            let first = try await store.lease(types: ["email", "sms"], workerID: "a", limit: 10, leaseMilliseconds: 60_000, limits: LeaseLimits(concurrency: limits), now: 2000)
            #expect(first.filter { $0.type == "email" }.count == 2 && first.filter { $0.type == "sms" }.count == 1)
            let second = try await store.lease(types: ["email"], workerID: "b", limit: 10, leaseMilliseconds: 60_000, limits: LeaseLimits(concurrency: limits), now: 2100)
            #expect(second.isEmpty)
            let done = try #require(first.first { $0.type == "email" })
            _ = try await store.complete(id: done.id, token: done.lease!.token, result: nil, now: 2200)
            let third = try await store.lease(types: ["email"], workerID: "b", limit: 10, leaseMilliseconds: 60_000, limits: LeaseLimits(concurrency: limits), now: 2300)
            #expect(third.count == 1)
        }
    }
}
