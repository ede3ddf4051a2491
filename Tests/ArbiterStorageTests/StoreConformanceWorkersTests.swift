import ArbiterJobs
import Testing

/// Workers, the same on every store: registration, heartbeats, draining, going offline and being
/// removed, and what each does to the leases they hold.
@Suite struct StoreConformanceWorkersTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func registeringStoresOrUpdatesAWorker(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let registered = try await store.register(id: "w2", capabilities: ["email", "sms"], concurrency: 3, labels: ["zone": "a", "gpu": "no"], now: 1000)
            #expect(registered == WorkerRecord(
                id: "w2", capabilities: ["email", "sms"], concurrency: 3, labels: ["zone": "a", "gpu": "no"], state: .idle, registeredAt: 1000,
                lastHeartbeatAt: 1000, leasedJobs: 0))
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 1, labels: [:], now: 1100)
            #expect(try await store.workers().map(\.id) == ["w1", "w2"])
            #expect(try await store.worker(id: "missing") == nil)
            _ = try await store.drain(workerID: "w2", now: 1200)
            // The same id again: updated, and back to idle; still registered when it first was.
            let again = try await store.register(id: "w2", capabilities: ["push"], concurrency: 8, labels: [:], now: 1300)
            #expect(again.capabilities == ["push"] && again.concurrency == 8 && again.labels == [:] && again.state == .idle)
            #expect(again.registeredAt == 1000 && again.lastHeartbeatAt == 1300)
            #expect(try await store.worker(id: "w2") == again)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatsExtendOnlyTheLeasesTheWorkerNamesAndHelloEndsTheRest(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 3, labels: [:], now: 1000)
            for _ in 0..<3 { _ = try await store.submit(Sample.submission(), now: 1000) }
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 3, leaseMilliseconds: 10_000, now: 1000)
            #expect(leased.count == 3)
            let (kept, lost, gone) = (leased[0].id, leased[1].id, leased[2].id)
            let beat = try await store.heartbeat(workerID: "w1", jobs: [kept, gone], leaseMilliseconds: 10_000, now: 5000)
            #expect(beat.lastHeartbeatAt == 5000 && beat.state == .busy && beat.leasedJobs == 3)
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

    @Test(arguments: StoreKind.allCases)
    func aHeartbeatWithoutAListExtendsEveryLeaseAndNeverShortensOne(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 2, labels: [:], now: 1000)
            _ = try await store.register(id: "w2", capabilities: ["email"], concurrency: 1, labels: [:], now: 1000)
            for _ in 0..<3 { _ = try await store.submit(Sample.submission(), now: 1000) }
            let mine = try await store.lease(types: ["email"], workerID: "w1", limit: 2, leaseMilliseconds: 10_000, now: 1000)
            let theirs = try await store.lease(types: ["email"], workerID: "w2", limit: 1, leaseMilliseconds: 10_000, now: 1000)
            _ = try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 10_000, now: 5000)
            for job in mine { #expect(try await store.job(id: job.id)?.lease?.expiresAt == 15_000) }
            let other = try #require(theirs.first)
            #expect(try await store.job(id: other.id)?.lease?.expiresAt == 11_000, "another worker's lease is not extended")
            _ = try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 1000, now: 6000)
            for job in mine { #expect(try await store.job(id: job.id)?.lease?.expiresAt == 15_000) }
            #expect(try await store.worker(id: "w1")?.lastHeartbeatAt == 6000)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aSilentWorkerGoesOfflineAndItsJobsAreRequeued(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let registered = try await store.register(id: "w1", capabilities: ["email"], concurrency: 2, labels: ["zone": "a"], now: 1000)
            #expect(registered.state == .idle && registered.labels == ["zone": "a"] && registered.capabilities == ["email"])
            let job = try await store.submit(Sample.submission(), now: 1000).job
            _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1100)
            let busy = try #require(try await store.worker(id: "w1"))
            #expect(busy.state == .busy && busy.leasedJobs == 1)
            let notYet = try await store.markOffline(silentSince: 1000, now: 1200)
            #expect(notYet.isEmpty)
            let silent = try await store.markOffline(silentSince: 5000, now: 5000)
            #expect(silent == ["w1"])
            let requeued = try await store.expireLeases(now: 5000)
            #expect(requeued.map(\.id) == [job.id])
            #expect(try await store.job(id: job.id)?.state == .queued)
            #expect(try await store.worker(id: "w1")?.state == .offline)
            // Already offline: not silent again.
            let again = try await store.markOffline(silentSince: 9000, now: 9000)
            #expect(again.isEmpty)
            let offlineLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 9100)
            #expect(offlineLease.isEmpty, "an offline worker gets nothing")
            let back = try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 30_000, now: 9200)
            #expect(back.state == .idle && back.lastHeartbeatAt == 9200)
            let entries = try await store.auditEntries(AuditFilter(subjectType: "worker", subjectID: "w1"), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["worker.registered", "worker.offline", "worker.online"])
            let onlineLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 9300)
            #expect(onlineLease.map(\.id) == [job.id])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func drainingWorkersTakeNoMoreAndRemovedOnesReleaseTheirJobs(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 1, labels: [:], now: 1000)
            _ = try await store.submit(Sample.submission(), now: 1000)
            _ = try await store.submit(Sample.submission(), now: 1001)
            _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1100)
            let draining = try await store.drain(workerID: "w1", now: 1200)
            #expect(draining.state == .draining && draining.leasedJobs == 1)
            let drainedAgain = try await store.drain(workerID: "w1", now: 1250)
            #expect(drainedAgain.state == .draining)
            let drainingLease = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1300)
            #expect(drainingLease.isEmpty, "a draining worker gets nothing")
            try await store.remove(workerID: "w1", now: 1400)
            #expect(try await store.worker(id: "w1") == nil)
            #expect(try await store.workers().isEmpty)
            let released = try await store.expireLeases(now: 1400)
            #expect(released.count == 1 && released.first?.state == .queued)
            let entries = try await store.auditEntries(AuditFilter(subjectType: "worker"), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["worker.registered", "worker.drained", "worker.removed"])
            // A draining worker that goes silent still goes offline.
            _ = try await store.register(id: "w2", capabilities: ["email"], concurrency: 1, labels: [:], now: 1400)
            _ = try await store.drain(workerID: "w2", now: 1400)
            let silent = try await store.markOffline(silentSince: 1450, now: 1450)
            #expect(silent == ["w2"])
            #expect(try await store.worker(id: "w2")?.state == .offline)
            let heartbeat = await #expect(throws: JobStoreError.self) {
                _ = try await store.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 30_000, now: 1500)
            }
            #expect(heartbeat?.code == .notFound)
            let drain = await #expect(throws: JobStoreError.self) { _ = try await store.drain(workerID: "w1", now: 1500) }
            #expect(drain?.code == .notFound)
            let remove = await #expect(throws: JobStoreError.self) { try await store.remove(workerID: "w1", now: 1500) }
            #expect(remove?.code == .notFound)
        }
    }
}
