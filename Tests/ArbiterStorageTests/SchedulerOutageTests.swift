import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Synchronization
import Testing

/// After the store was unreachable, silence proves nothing for one worker timeout: the heartbeats sent
/// meanwhile were lost, so no worker goes offline and no lease ends for want of one until live workers
/// have had that long to be heard again. Time is a ``ManualClock``.
@Suite struct SchedulerOutageTests {
    struct NoMetrics: SchedulerObserver {
        func leased(_ jobs: [JobRecord], now: Int64) {}
        func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {}
        func cancelledWhileWaiting(_ job: JobRecord) {}
    }

    /// The workers' store, which fails while `down` is set, as a store that cannot be reached does.
    final class Outage: WorkerStore {
        let store: Ledger
        let down = Mutex(false)

        init(_ store: Ledger) {
            self.store = store
        }

        private func check() throws {
            if self.down.withLock({ $0 }) { throw StoreUnavailable("the database cannot be reached") }
        }

        func register(id: String, capabilities: [String], concurrency: Int, labels: [String: String], now: Int64) async throws -> WorkerRecord {
            try self.check()
            return try await self.store.register(id: id, capabilities: capabilities, concurrency: concurrency, labels: labels, now: now)
        }

        func heartbeat(workerID: String, jobs: [String]?, leaseMilliseconds: Int64, now: Int64) async throws -> WorkerRecord {
            try self.check()
            return try await self.store.heartbeat(workerID: workerID, jobs: jobs, leaseMilliseconds: leaseMilliseconds, now: now)
        }

        func endLeases(workerID: String, except keep: [String], now: Int64) async throws {
            try self.check()
            try await self.store.endLeases(workerID: workerID, except: keep, now: now)
        }

        func workers() async throws -> [WorkerRecord] { try await self.store.workers() }
        func worker(id: String) async throws -> WorkerRecord? { try await self.store.worker(id: id) }

        func drain(workerID: String, now: Int64) async throws -> WorkerRecord {
            try self.check()
            return try await self.store.drain(workerID: workerID, now: now)
        }

        func remove(workerID: String, now: Int64) async throws {
            try self.check()
            try await self.store.remove(workerID: workerID, now: now)
        }

        func markOffline(silentSince cutoff: Int64, now: Int64) async throws -> [String] {
            try self.check()
            return try await self.store.markOffline(silentSince: cutoff, now: now)
        }
    }

    let clock = ManualClock()
    let workerTimeout = Duration.seconds(15)

    func withScheduler(_ body: (Scheduler, Ledger, Outage) async throws -> Void) async throws {
        try await TemporaryStore.with(prefix: "outage") { store in
            let outage = Outage(store)
            let scheduler = Scheduler(store: store, workers: outage, policies: [:], leaseTimeout: .seconds(30), observer: NoMetrics(), clock: self.clock)
            try await body(scheduler, store, outage)
        }
    }

    /// A worker holding one job, then 20 s of silence and a tick that fails.
    func holdThenFail(_ scheduler: Scheduler, _ outage: Outage) async throws -> JobRecord {
        _ = try await scheduler.register(workerID: "w1", capabilities: ["t"], concurrency: 1, labels: [:])
        _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: self.clock.nowMilliseconds())])
        let held = try #require(try await scheduler.lease(workerID: "w1", types: ["t"], limit: 1).first)
        self.clock.advance(by: .seconds(20))
        outage.down.withLock { $0 = true }
        await #expect(throws: StoreUnavailable.self) { _ = try await scheduler.tick(workerTimeout: self.workerTimeout) }
        outage.down.withLock { $0 = false }
        return held
    }

    @Test func silenceIsNotJudgedForOneWorkerTimeoutAfterAFailedTick() async throws {
        try await self.withScheduler { scheduler, store, outage in
            let held = try await self.holdThenFail(scheduler, outage)
            // 35 s silent, its 30 s lease past: without the outage both would end now.
            self.clock.advance(by: self.workerTimeout - .milliseconds(1))
            let quiet = try await scheduler.tick(workerTimeout: self.workerTimeout)
            #expect(quiet.offlineWorkers.isEmpty && quiet.expired.isEmpty)
            let stillRunning = try await store.job(id: held.id)
            #expect(stillRunning?.state == .running)
            // One worker timeout after the failed tick, silence counts again.
            self.clock.advance(by: .milliseconds(1))
            let judged = try await scheduler.tick(workerTimeout: self.workerTimeout)
            #expect(judged.offlineWorkers == ["w1"] && judged.expired.map(\.id) == [held.id])
        }
    }

    @Test func aWorkerHeardWithinTheGraceKeepsItsJobs() async throws {
        try await self.withScheduler { scheduler, store, outage in
            let held = try await self.holdThenFail(scheduler, outage)
            self.clock.advance(by: .seconds(5))
            _ = try await outage.heartbeat(workerID: "w1", jobs: nil, leaseMilliseconds: 30_000, now: self.clock.nowMilliseconds())
            self.clock.advance(by: self.workerTimeout)
            let tick = try await scheduler.tick(workerTimeout: self.workerTimeout)
            #expect(tick.offlineWorkers.isEmpty && tick.expired.isEmpty)
            let job = try await store.job(id: held.id)
            #expect(job?.state == .running && job?.lease?.token == held.lease?.token)
        }
    }
}
