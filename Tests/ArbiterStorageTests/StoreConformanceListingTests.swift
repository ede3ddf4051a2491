import ArbiterJobs
import Testing

/// What the API and the gauges read, the same on every store: listing filters and cursors, counts
/// by type and state, and how long each type's oldest queued job has waited.
@Suite struct StoreConformanceListingTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func listingFiltersAndPagesInCreationOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            var ids: [String] = []
            for index in 0..<7 {
                var submission = Sample.submission(index.isMultiple(of: 2) ? "email" : "sms", runAt: 1000)
                submission.tags = index == 3 ? ["vip", "eu"] : []
                submission.userID = index < 2 ? "u1" : nil
                ids.append(try await store.submit(submission, now: Int64(1000 + index)).job.id)
            }
            let firstPage = try await store.list(JobFilter(), after: nil, limit: 3)
            #expect(firstPage.map(\.id) == Array(ids[0..<3]))
            let secondPage = try await store.list(JobFilter(), after: firstPage.last?.id, limit: 3)
            #expect(secondPage.map(\.id) == Array(ids[3..<6]))
            let lastPage = try await store.list(JobFilter(), after: secondPage.last?.id, limit: 3)
            #expect(lastPage.map(\.id) == [ids[6]])
            #expect(try await store.list(JobFilter(), after: ids[6], limit: 3).isEmpty)
            #expect(try await store.list(JobFilter(type: "sms"), after: nil, limit: 10).map(\.id) == [ids[1], ids[3], ids[5]])
            #expect(try await store.list(JobFilter(type: "sms"), after: ids[1], limit: 1).map(\.id) == [ids[3]])
            #expect(try await store.list(JobFilter(tag: "vip"), after: nil, limit: 10).map(\.id) == [ids[3]])
            #expect(try await store.list(JobFilter(tag: "eu"), after: nil, limit: 10).map(\.id) == [ids[3]])
            #expect(try await store.list(JobFilter(tag: "v"), after: nil, limit: 10).isEmpty, "a tag matches whole, not by prefix")
            #expect(try await store.list(JobFilter(userID: "u1"), after: nil, limit: 10).map(\.id) == [ids[0], ids[1]])
            #expect(try await store.list(JobFilter(createdAfter: 1002, createdBefore: 1004), after: nil, limit: 10).map(\.id) == [ids[2], ids[3]])
            #expect(try await store.list(JobFilter(state: .running), after: nil, limit: 10).isEmpty)
            #expect(try await store.list(JobFilter(state: .queued, type: "email", userID: "u1"), after: nil, limit: 10).map(\.id) == [ids[0]])
        }
    }

    /// The console's search: a job by its id, by its idempotency key, or by a word of its payload in
    /// any case; with the other filters, and counted as listed.
    @Test(arguments: StoreKind.allCases)
    func searchFindsByIdKeyOrPayloadTextAndCountsWhatItLists(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            var zebra = Sample.submission("email", key: "order-17")
            zebra.payload = #"{"note":"The Zebra crossing","n":1}"#
            let first = try await store.submit(zebra, now: 1000).job
            var plain = Sample.submission("sms")
            plain.payload = #"{"note":"zebra again"}"#
            let second = try await store.submit(plain, now: 1001).job
            let other = try await store.submit(Sample.submission("email"), now: 1002).job
            #expect(try await store.list(JobFilter(search: "zebra"), after: nil, limit: 10).map(\.id) == [first.id, second.id])
            #expect(try await store.list(JobFilter(search: "ZEBRA CROSSING"), after: nil, limit: 10).map(\.id) == [first.id])
            #expect(try await store.list(JobFilter(type: "sms", search: "zebra"), after: nil, limit: 10).map(\.id) == [second.id])
            #expect(try await store.list(JobFilter(search: "order-17"), after: nil, limit: 10).map(\.id) == [first.id])
            #expect(try await store.list(JobFilter(search: other.id), after: nil, limit: 10).map(\.id) == [other.id])
            #expect(try await store.list(JobFilter(search: "%"), after: nil, limit: 10).isEmpty, "the text is matched as it is, not as a pattern")
            #expect(try await store.list(JobFilter(search: "Zebr_"), after: nil, limit: 10).isEmpty)
            #expect(try await store.list(JobFilter(search: #"\"#), after: nil, limit: 10).isEmpty)
            #expect(try await store.count(JobFilter(search: "zebra")) == 2)
            #expect(try await store.count(JobFilter()) == 3)
            #expect(try await store.count(JobFilter(state: .queued, type: "email")) == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func listingByStateAndLeaseWorker(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            for index in 0..<4 { _ = try await store.submit(Sample.submission(), now: Int64(1000 + index)) }
            let scheduled = try await store.submit(Sample.submission(runAt: 50_000), now: 1010).job
            let first = try await store.lease(types: ["email"], workerID: "w1", limit: 2, leaseMilliseconds: 60_000, now: 2000)
            let second = try await store.lease(types: ["email"], workerID: "w2", limit: 1, leaseMilliseconds: 60_000, now: 2000)
            let byW1 = try await store.list(JobFilter(leaseWorkerID: "w1"), after: nil, limit: 10)
            #expect(byW1.map(\.id) == first.map(\.id))
            let byW2 = try await store.list(JobFilter(state: .running, leaseWorkerID: "w2"), after: nil, limit: 10)
            #expect(byW2.map(\.id) == second.map(\.id))
            let done = try #require(first.first)
            _ = try await store.complete(id: done.id, token: try #require(done.lease?.token), result: nil, now: 2100)
            let stillW1 = try await store.list(JobFilter(leaseWorkerID: "w1"), after: nil, limit: 10)
            #expect(stillW1.map(\.id) == [first[1].id], "a finished job holds no lease")
            #expect(try await store.list(JobFilter(state: .succeeded), after: nil, limit: 10).map(\.id) == [done.id])
            #expect(try await store.list(JobFilter(state: .scheduled), after: nil, limit: 10).map(\.id) == [scheduled.id])
            #expect(try await store.list(JobFilter(state: .queued), after: nil, limit: 10).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func countsByTypeLeaveOutEmptyStates(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.countsByType().isEmpty)
            for index in 0..<3 { _ = try await store.submit(Sample.submission("email"), now: Int64(1000 + index)) }
            _ = try await store.submit(Sample.submission("email", runAt: 9000), now: 1000)
            let sms = try await store.submit(Sample.submission("sms"), now: 1000).job
            let leased = try await store.lease(types: ["email"], workerID: "w", limit: 1, leaseMilliseconds: 1000, now: 2000)
            _ = try await store.cancel(id: sms.id, reason: "x", now: 2000)
            _ = try await store.complete(id: try #require(leased.first?.id), token: try #require(leased.first?.lease?.token), result: nil, now: 2100)
            let counts = try await store.countsByType()
            #expect(counts == ["email": [.queued: 2, .scheduled: 1, .succeeded: 1], "sms": [.cancelled: 1]])
        }
    }

    /// A queued job has waited since it became eligible: its `run_at`, or when it was queued if that
    /// was later (submitted late, promoted, requeued). Running and scheduled jobs do not count.
    @Test(arguments: StoreKind.allCases)
    func theOldestQueuedJobIsByWhenItBecameEligible(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.oldestQueuedByType().isEmpty)
            let early = try await store.submit(Sample.submission("email", runAt: 500), now: 1000).job
            _ = try await store.submit(Sample.submission("email", runAt: 1200), now: 1200)
            _ = try await store.submit(Sample.submission("sms", runAt: 3000), now: 1000)
            _ = try await store.submit(Sample.submission("push", runAt: 1000), now: 1000)
            _ = try await store.submit(Sample.submission("fax", runAt: 1_000_000), now: 1000)
            let pushed = try await store.lease(types: ["push"], workerID: "w", limit: 1, leaseMilliseconds: 60_000, now: 1100)
            #expect(pushed.count == 1)
            let promoted = try await store.promoteDueJobs(now: 3500)
            #expect(promoted == 1)
            let oldest = try await store.oldestQueuedByType()
            #expect(oldest == ["email": 1000, "sms": 3500])
            let leased = try await store.lease(types: ["email"], workerID: "w", limit: 1, leaseMilliseconds: 60_000, now: 3600)
            #expect(leased.map(\.id) == [early.id])
            let after = try await store.oldestQueuedByType()
            #expect(after == ["email": 1200, "sms": 3500])
        }
    }
}
