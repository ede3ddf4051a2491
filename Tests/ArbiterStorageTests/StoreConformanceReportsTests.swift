import ArbiterJobs
import Testing

/// What happens to a leased job, the same on every store: reports fenced by the lease token,
/// retries with backoff, lease expiry, promotion of due jobs, and an operator's cancel and retry.
@Suite struct StoreConformanceReportsTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func aStaleTokenIsRefusedAndChangesNothing(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let job = try await store.submit(Sample.submission(), now: 1000).job
            let firstLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000)
            let first = try #require(firstLease.first)
            let staleToken = try #require(first.lease?.token)
            // The first worker goes quiet; its lease runs out and another worker takes the job.
            let expired = try await store.expireLeases(now: 2000)
            #expect(expired.map(\.state) == [.queued])
            let secondLease = try await store.lease(types: ["email"], workerID: "w2", limit: 1, leaseMilliseconds: 1000, now: 2100)
            let second = try #require(secondLease.first)
            let token = try #require(second.lease?.token)
            #expect(second.attempt == 2 && token != staleToken)
            let staleCompletion = await #expect(throws: JobStoreError.self) {
                _ = try await store.complete(id: job.id, token: staleToken, result: "{}", now: 2200)
            }
            #expect(staleCompletion?.code == .staleLease)
            let staleFailure = await #expect(throws: JobStoreError.self) {
                _ = try await store.fail(id: job.id, token: staleToken, error: "late", retryDelay: 0, now: 2200)
            }
            #expect(staleFailure?.code == .staleLease)
            let staleProgress = await #expect(throws: JobStoreError.self) {
                _ = try await store.extendLease(id: job.id, token: staleToken, leaseMilliseconds: 60_000, now: 2200)
            }
            #expect(staleProgress?.code == .staleLease)
            #expect(try await store.job(id: job.id) == second)
            let done = try await store.complete(id: job.id, token: token, result: #"{"ok":true}"#, now: 2300)
            #expect(done.state == .succeeded && done.result == #"{"ok":true}"# && done.lease == nil && done.finishedAt == 2300)
            // A completion after the fact is as stale as one from the wrong worker.
            let late = await #expect(throws: JobStoreError.self) { _ = try await store.complete(id: job.id, token: token, result: nil, now: 2400) }
            #expect(late?.code == .staleLease)
            let missing = await #expect(throws: JobStoreError.self) { _ = try await store.complete(id: "nope", token: token, result: nil, now: 2400) }
            #expect(missing?.code == .notFound)
            let attempts = try await store.attempts(jobID: job.id)
            #expect(attempts.map(\.outcome) == ["lease_expired", "succeeded"] && attempts.map(\.workerID) == ["w1", "w2"])
        }
    }

    /// A worker still reporting on a job that was cancelled under it is told to stop, not that its
    /// lease is stale.
    @Test(arguments: StoreKind.allCases)
    func aCancelledAttemptIsToldTheJobWasCancelled(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.submit(Sample.submission(), now: 1000)
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1000)
            let running = try #require(leased.first)
            let token = try #require(running.lease?.token)
            let (cancelled, revoked) = try await store.cancel(id: running.id, reason: "operator", now: 1100)
            #expect(cancelled.state == .cancelled && revoked == running.lease)
            let completion = await #expect(throws: JobStoreError.self) {
                _ = try await store.complete(id: running.id, token: token, result: nil, now: 1200)
            }
            #expect(completion?.code == .jobCancelled)
            let failure = await #expect(throws: JobStoreError.self) {
                _ = try await store.fail(id: running.id, token: token, error: "x", retryDelay: 0, now: 1200)
            }
            #expect(failure?.code == .jobCancelled)
            let progress = await #expect(throws: JobStoreError.self) {
                _ = try await store.extendLease(id: running.id, token: token, leaseMilliseconds: 1000, now: 1200)
            }
            #expect(progress?.code == .jobCancelled)
            let wrongToken = await #expect(throws: JobStoreError.self) {
                _ = try await store.complete(id: running.id, token: token &+ 1, result: nil, now: 1200)
            }
            #expect(wrongToken?.code == .staleLease)
            #expect(try await store.job(id: running.id) == cancelled)
            let attempts = try await store.attempts(jobID: running.id)
            #expect(attempts == [JobAttempt(number: 1, workerID: "w1", startedAt: 1000, finishedAt: 1100, outcome: "cancelled", error: "operator")])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func failuresBackOffThenDie(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let job = try await store.submit(Sample.submission(), now: 1000).job
            let firstLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000)
            let first = try #require(firstLease.first)
            let retried = try await store.fail(id: job.id, token: try #require(first.lease?.token), error: "smtp down", retryDelay: 700, now: 1100)
            #expect(retried.state == .scheduled && retried.runAt == 1800 && retried.lastError == "smtp down" && retried.lease == nil)
            let early = try await store.promoteDueJobs(now: 1799)
            #expect(early == 0)
            let due = try await store.promoteDueJobs(now: 1800)
            #expect(due == 1)
            let secondLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1900)
            let second = try #require(secondLease.first)
            let dead = try await store.fail(id: job.id, token: try #require(second.lease?.token), error: "still down", retryDelay: 700, now: 2000)
            #expect(dead.state == .dead && dead.attempt == 2 && dead.finishedAt == 2000 && dead.lastError == "still down")
            #expect(try await store.job(id: job.id) == dead)
            let history = try await store.attempts(jobID: job.id)
            #expect(history == [
                JobAttempt(number: 1, workerID: "w1", startedAt: 1000, finishedAt: 1100, outcome: "failed", error: "smtp down"),
                JobAttempt(number: 2, workerID: "w1", startedAt: 1900, finishedAt: 2000, outcome: "failed", error: "still down"),
            ])
        }
    }

    /// Many reports in one transaction, each on its own: a refused one changes nothing and does not
    /// stop the others; a failure backs off within the job's retry policy.
    @Test(arguments: StoreKind.allCases)
    func reportsAreEachOnTheirOwn(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 4, labels: [:], now: 1000)
            for index in 0..<3 { _ = try await store.submit(Sample.submission(), now: Int64(1000 + index)) }
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 3, leaseMilliseconds: 10_000, now: 1100)
            #expect(leased.count == 3)
            let (succeeding, failing, working) = (leased[0], leased[1], leased[2])
            let reports = [
                JobReport(jobID: succeeding.id, token: try #require(succeeding.lease?.token), outcome: .succeeded(result: #"{"sent":1}"#)),
                JobReport(jobID: failing.id, token: try #require(failing.lease?.token), outcome: .failed(error: "bounced")),
                JobReport(jobID: working.id, token: try #require(working.lease?.token), outcome: .progress),
                JobReport(jobID: working.id, token: try #require(working.lease?.token) &+ 1, outcome: .succeeded(result: nil)),
                JobReport(jobID: "missing", token: 1, outcome: .progress),
            ]
            let results = try await store.report(reports, leaseMilliseconds: 30_000, now: 2000)
            #expect(results.count == 5)
            let succeeded = try #require(try? results[0].get())
            #expect(succeeded.state == .succeeded && succeeded.result == #"{"sent":1}"# && succeeded.finishedAt == 2000)
            let failed = try #require(try? results[1].get())
            // Attempt 1 of 2 failed: backoff with full jitter up to the 1 s cap.
            #expect(failed.state == .scheduled && failed.lastError == "bounced" && (2000...3000).contains(failed.runAt))
            let extended = try #require(try? results[2].get())
            #expect(extended.state == .running && extended.lease?.expiresAt == 32_000)
            if case .failure(let refusal) = results[3] { #expect(refusal.code == .staleLease) } else { Issue.record("a stale report was accepted") }
            if case .failure(let refusal) = results[4] { #expect(refusal.code == .notFound) } else { Issue.record("a report on no job was accepted") }
            #expect(try await store.job(id: working.id)?.state == .running)
            #expect(try await store.job(id: failing.id) == failed)
            // A progress report is liveness: the worker was heard from.
            #expect(try await store.worker(id: "w1")?.lastHeartbeatAt == 2000)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func progressMovesTheLeaseDeadline(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.submit(Sample.submission(), now: 1000)
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000)
            let job = try #require(leased.first)
            let extended = try await store.extendLease(id: job.id, token: try #require(job.lease?.token), leaseMilliseconds: 5000, now: 1500)
            #expect(extended.lease?.expiresAt == 6500 && extended.lease?.token == job.lease?.token && extended.state == .running)
            let before = try await store.expireLeases(now: 6499)
            #expect(before.isEmpty)
            let after = try await store.expireLeases(now: 6500)
            #expect(after.map(\.id) == [job.id])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredLeaseRequeuesAndTheLastOneKillsTheJob(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let job = try await store.submit(Sample.submission(), now: 1000).job
            var leases: [JobLease] = []
            for attempt in 1...2 {
                let leased = try await store.lease(types: ["email"], workerID: "w\(attempt)", limit: 1, leaseMilliseconds: 100, now: Int64(1000 * attempt))
                #expect(leased.count == 1)
                leases += leased.compactMap(\.lease)
                let ended = try await store.endExpiredLeases(now: Int64(1000 * attempt + 100))
                #expect(ended.map(\.job.id) == [job.id])
                #expect(ended.first?.lease?.token == leased.first?.lease?.token && ended.first?.lease?.workerID == "w\(attempt)")
                #expect(ended.first?.job.state == (attempt == 1 ? .queued : .dead))
            }
            let final = try #require(try await store.job(id: job.id))
            #expect(final.state == .dead && final.lastError == "lease expired" && final.lease == nil && final.finishedAt == 2100)
            let attempts = try await store.attempts(jobID: job.id)
            #expect(attempts.map(\.outcome) == ["lease_expired", "lease_expired"] && attempts.map(\.error) == ["lease expired", "lease expired"])
            #expect(leases.count == 2)
            let nothing = try await store.endExpiredLeases(now: 10_000)
            #expect(nothing.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func onlyDueJobsArePromotedAndOnlyQueuedJobsLeased(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let soon = try await store.submit(Sample.submission(runAt: 5000), now: 1000).job
            let later = try await store.submit(Sample.submission(runAt: 9000), now: 1000).job
            let early = try await store.lease(types: ["email"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 6000)
            #expect(early.isEmpty, "a scheduled job is leased only once it is promoted")
            let promoted = try await store.promoteDueJobs(now: 6000)
            #expect(promoted == 1)
            let queued = try #require(try await store.job(id: soon.id))
            #expect(queued.state == .queued && queued.queuedAt == 6000)
            #expect(try await store.job(id: later.id)?.state == .scheduled)
            let leased = try await store.lease(types: ["email"], workerID: "w", limit: 10, leaseMilliseconds: 1000, now: 6100)
            #expect(leased.map(\.id) == [soon.id])
            let entries = try await store.auditEntries(AuditFilter(subjectID: soon.id), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["job.submitted", "job.queued", "job.leased"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func cancelAndRetryFollowTheLifecycle(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let queued = try await store.submit(Sample.submission(), now: 1000).job
            let (cancelled, lease) = try await store.cancel(id: queued.id, reason: "not needed", now: 1100)
            #expect(cancelled.state == .cancelled && cancelled.cancelReason == "not needed" && lease == nil && cancelled.finishedAt == 1100)
            let again = await #expect(throws: JobStoreError.self) { _ = try await store.cancel(id: queued.id, reason: "x", now: 1200) }
            #expect(again?.code == .illegalTransition)
            let retried = try await store.retry(id: queued.id, now: 1300)
            #expect(retried.state == .queued && retried.attempt == 0 && retried.cancelReason == nil && retried.finishedAt == nil)
            #expect(retried.runAt == 1300 && retried.queuedAt == 1300)
            #expect(try await store.job(id: queued.id) == retried)
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1400)
            let running = try #require(leased.first)
            let (stopped, revoked) = try await store.cancel(id: running.id, reason: "operator", now: 1500)
            #expect(stopped.state == .cancelled && revoked == running.lease && stopped.lease == nil)
            let scheduled = try await store.submit(Sample.submission(runAt: 90_000), now: 1600).job
            let (unscheduled, none) = try await store.cancel(id: scheduled.id, reason: "changed plans", now: 1650)
            #expect(unscheduled.state == .cancelled && none == nil)
            let fresh = try await store.submit(Sample.submission(), now: 1600).job
            let notRetryable = await #expect(throws: JobStoreError.self) { _ = try await store.retry(id: fresh.id, now: 1700) }
            #expect(notRetryable?.code == .illegalTransition)
            let missing = await #expect(throws: JobStoreError.self) { _ = try await store.cancel(id: "nope", reason: "x", now: 1) }
            #expect(missing?.code == .notFound)
            let missingRetry = await #expect(throws: JobStoreError.self) { _ = try await store.retry(id: "nope", now: 1) }
            #expect(missingRetry?.code == .notFound)
        }
    }

    /// A dead job retried by an operator gets a fresh set of attempts.
    @Test(arguments: StoreKind.allCases)
    func aRetriedDeadJobRunsAgain(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            var retry = Sample.retry
            retry.maxAttempts = 1
            var submission = Sample.submission()
            submission.retry = retry
            let job = try await store.submit(submission, now: 1000).job
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1000)
            let dead = try await store.fail(id: job.id, token: try #require(leased.first?.lease?.token), error: "boom", retryDelay: 0, now: 1100)
            #expect(dead.state == .dead)
            let revived = try await store.retry(id: job.id, now: 1200)
            #expect(revived.state == .queued && revived.attempt == 0)
            // The retried job runs again with a fresh set of attempts; its history goes on numbering.
            let again = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1300)
            #expect(again.map(\.id) == [job.id] && again.first?.state == .running && again.first?.attempt == 1)
            let history = try await store.attempts(jobID: job.id)
            #expect(history.map(\.number) == Array(1...history.count) && history.first?.outcome == "failed" && history.last?.outcome == nil)
        }
    }
}
