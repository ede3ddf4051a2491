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
