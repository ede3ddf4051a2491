import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Synchronization
import Testing

/// The scheduler and the connections that speak for workers, on a real SQLite store: a slot that
/// frees is free before the dispatch loops wake, a lease that runs out tells its worker, a clean
/// stop is not an offline event, and a newer connection replaces an older one.
@Suite struct SchedulerConnectionsTests {
    /// A connected worker as the scheduler sees it, recording what it was told.
    final class Target: PushTarget {
        let workerID: String
        let capabilities: [String]
        let slots: Mutex<WorkerSlots>
        let wake: WakeSignal
        /// Each slot release, with the wake generation at that moment.
        let releases = Mutex<[(jobID: String, generation: UInt64)]>([])
        let superseded = Mutex(false)

        init(_ workerID: String, concurrency: Int, wake: WakeSignal) {
            self.workerID = workerID
            self.capabilities = ["t"]
            self.slots = Mutex(WorkerSlots(concurrency: concurrency))
            self.wake = wake
        }

        var held: [String: Int64] { self.slots.withLock { $0.held } }
        var free: Int { self.slots.withLock { $0.free } }

        func reserveSlots(upTo count: Int) -> Int { self.slots.withLock { $0.reserve(upTo: count) } }

        func deliver(_ jobs: [JobRecord], reserved: Int) async {
            let leases = jobs.map { (jobID: $0.id, token: $0.lease?.token ?? 0) }
            self.slots.withLock { $0.deliver(leases, reserved: reserved) }
        }

        func release(jobID: String, token: Int64) -> WorkerSlots.Release {
            let generation = self.wake.generation
            let release = self.slots.withLock { $0.release(jobID: jobID, token: token) }
            if release == .released { self.releases.withLock { $0.append((jobID, generation)) } }
            return release
        }

        func supersede() async {
            self.slots.withLock { $0.close() }
            self.superseded.withLock { $0 = true }
        }
    }

    final class Observer: SchedulerObserver {
        let stopped = Mutex<[String]>([])
        func leased(_ jobs: [JobRecord], now: Int64) {}
        func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {}
        func cancelledWhileWaiting(_ job: JobRecord) {}
        func workerStopped(_ workerID: String) { self.stopped.withLock { $0.append(workerID) } }
    }

    func withScheduler(leaseTimeout: Duration = .seconds(30), _ body: (Scheduler, SQLiteJobStore, Observer) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "connections")
        defer { directory.remove() }
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: directory.file("arbiter.db")))
        let store = try SQLiteJobStore(path: directory.file("arbiter.db"))
        let observer = Observer()
        let scheduler = Scheduler(store: store, workers: store, policies: [:], leaseTimeout: leaseTimeout, observer: observer)
        do {
            try await body(scheduler, store, observer)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    /// Registers the worker and makes `target` speak for it.
    func connect(_ scheduler: Scheduler, _ store: SQLiteJobStore, _ target: Target) async throws -> WorkerConnections.Connection {
        _ = try await store.register(id: target.workerID, capabilities: ["t"], concurrency: 1, labels: [:], now: WallClock.nowMilliseconds())
        let connection = await scheduler.claim(workerID: target.workerID)
        #expect(await scheduler.attach(target, as: connection))
        return connection
    }

    func submit(_ scheduler: Scheduler, count: Int = 1) async throws {
        let now = WallClock.nowMilliseconds()
        _ = try await scheduler.submit((0..<count).map { _ in JobSubmission(type: "t", payload: "{}", runAt: now) })
    }

    @Test func aReportFreesItsSlotBeforeTheDispatchLoopsWake() async throws {
        try await self.withScheduler { scheduler, store, _ in
            let target = Target("w1", concurrency: 1, wake: scheduler.wake)
            _ = try await self.connect(scheduler, store, target)
            try await self.submit(scheduler, count: 2)
            let (jobID, token) = try #require(target.held.first)
            #expect(target.free == 0, "the submission pushed one job into the only slot")
            let before = scheduler.wake.generation
            _ = try await scheduler.report([JobReport(jobID: jobID, token: token, outcome: .succeeded(result: nil))], workerID: "w1")
            // A dispatch loop that wakes at the signal must find the slot free, or it sleeps until a tick.
            let releases = target.releases.withLock { $0 }
            #expect(releases.map(\.jobID) == [jobID])
            #expect(releases.first?.generation == before, "the slot was freed after the wake-up")
            #expect(scheduler.wake.generation > before)
            #expect(target.free == 1)
        }
    }

    @Test func aRefusedReportFreesTheSlotOnlyOfTheLeaseItNames() async throws {
        try await self.withScheduler { scheduler, store, _ in
            let target = Target("w1", concurrency: 1, wake: scheduler.wake)
            _ = try await self.connect(scheduler, store, target)
            try await self.submit(scheduler)
            let (jobID, token) = try #require(target.held.first)
            let stale = try await scheduler.report([JobReport(jobID: jobID, token: token + 1000, outcome: .succeeded(result: nil))], workerID: "w1")
            #expect(stale.count == 1)
            if case .failure(let refusal) = stale[0] { #expect(refusal.code == .staleLease) } else { Issue.record("a wrong token was accepted") }
            #expect(target.held == [jobID: token], "a report naming another lease does not free the slot")
            _ = try await scheduler.report([JobReport(jobID: jobID, token: token, outcome: .failed(error: "boom"))], workerID: "w1")
            #expect(target.free == 1)
        }
    }

    @Test func aLeaseThatRunsOutTellsItsWorkerToStopTheJob() async throws {
        try await self.withScheduler(leaseTimeout: .milliseconds(50)) { scheduler, store, _ in
            let target = Target("w1", concurrency: 1, wake: scheduler.wake)
            _ = try await self.connect(scheduler, store, target)
            try await self.submit(scheduler)
            let (jobID, token) = try #require(target.held.first)
            try await Task.sleep(for: .milliseconds(150))
            let tick = try await scheduler.tick(workerTimeout: .seconds(60))
            #expect(tick.expired.map(\.id) == [jobID] && tick.offlineWorkers.isEmpty)
            let notices = scheduler.takeCancelNotices(workerID: "w1")
            #expect(notices == [CancelNotice(jobID: jobID, reason: CancelNotice.leaseExpired, leaseToken: token)])
            // The dispatch loop frees the slot as it tells the worker; the job is queued again for it.
            #expect(target.release(jobID: jobID, token: token) == .released)
            #expect(try await store.job(id: jobID)?.state == .queued)
            let again = try await scheduler.lease(workerID: "w1", types: ["t"], limit: target.reserveSlots(upTo: 1))
            #expect(again.map(\.id) == [jobID] && again.first?.lease?.token != token)
        }
    }

    @Test func aWorkerThatStopsCleanlyIsForgottenWithNoOfflineEvent() async throws {
        try await self.withScheduler { scheduler, store, observer in
            let stopping = Target("w1", concurrency: 1, wake: scheduler.wake)
            let dropping = Target("w2", concurrency: 1, wake: scheduler.wake)
            let stopped = try await self.connect(scheduler, store, stopping)
            let dropped = try await self.connect(scheduler, store, dropping)
            #expect(await scheduler.detach(stopping, as: stopped, stopped: true) == .stopped)
            #expect(await scheduler.detach(dropping, as: dropped, stopped: false) == .disconnected)
            #expect(try await store.worker(id: "w1") == nil)
            #expect(try await store.worker(id: "w2") != nil)
            #expect(observer.stopped.withLock { $0 } == ["w1"])
            try await Task.sleep(for: .milliseconds(50))
            // Only the worker that dropped out misses its heartbeats.
            #expect(try await scheduler.tick(workerTimeout: .milliseconds(10)).offlineWorkers == ["w2"])
        }
    }

    @Test func aNewerConnectionReplacesTheOlderAndTheOldersCloseStopsNothing() async throws {
        try await self.withScheduler { scheduler, store, observer in
            let older = Target("w1", concurrency: 1, wake: scheduler.wake)
            let newer = Target("w1", concurrency: 1, wake: scheduler.wake)
            let first = try await self.connect(scheduler, store, older)
            let second = try await self.connect(scheduler, store, newer)
            #expect(older.superseded.withLock { $0 } && older.free == 0)
            try await self.submit(scheduler)
            #expect(older.held.isEmpty && newer.held.count == 1, "only the newer connection is given work")
            #expect(await scheduler.detach(older, as: first, stopped: true) == .nothing)
            #expect(try await store.worker(id: "w1") != nil && observer.stopped.withLock { $0 }.isEmpty)
            #expect(scheduler.speaks(second))
        }
    }

    @Test func aFailureKeepsTheFirst64KiBOfItsError() async throws {
        try await self.withScheduler { scheduler, store, _ in
            let target = Target("w1", concurrency: 1, wake: scheduler.wake)
            _ = try await self.connect(scheduler, store, target)
            let now = WallClock.nowMilliseconds()
            _ = try await scheduler.submit([
                JobSubmission(type: "t", payload: "{}", runAt: now, retry: RetryPolicy(maxAttempts: 1, initialBackoff: .seconds(1), maxBackoff: .seconds(1), timeout: .seconds(1)))
            ])
            let (jobID, token) = try #require(target.held.first)
            let error = String(repeating: "\u{E9}", count: 40_000)  // 80,000 bytes of UTF-8
            _ = try await scheduler.report([JobReport(jobID: jobID, token: token, outcome: .failed(error: error))], workerID: "w1")
            let kept = try #require(try await store.job(id: jobID)?.lastError)
            #expect(kept.utf8.count == Scheduler.maxErrorBytes && kept == String(repeating: "\u{E9}", count: 32_768))
        }
    }

    @Test func aJobPutOffIsQueuedWhenItComesDueNotAtTheNextTick() async throws {
        try await self.withScheduler { scheduler, store, _ in
            // One job a minute out (nothing to queue yet, however slow the machine), one due shortly.
            let later = WallClock.nowMilliseconds() + 60_000
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: later)])
            #expect(scheduler.dueTimes.next == later)
            #expect(try await scheduler.promoteDueJobs() == 0, "nothing is queued before its time")
            let soon = WallClock.nowMilliseconds() + 100
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: soon)])
            #expect(scheduler.dueTimes.next == soon)
            var promoted = 0
            try await Polling.until("the near job is queued", timeout: .seconds(10), interval: .milliseconds(10)) {
                promoted += try await scheduler.promoteDueJobs()
                return promoted > 0
            }
            #expect(promoted == 1 && WallClock.nowMilliseconds() >= soon)
            #expect(try await store.list(JobFilter(state: .queued), after: nil, limit: 10).count == 1)
            #expect(scheduler.dueTimes.next == later, "the later time is still kept")

            // A failed attempt's retry is noted for when its backoff ends.
            _ = try await store.register(id: "w", capabilities: ["t"], concurrency: 1, labels: [:], now: WallClock.nowMilliseconds())
            let leased = try await scheduler.lease(workerID: "w", types: ["t"], limit: 1)
            let job = try #require(leased.first)
            let results = try await scheduler.report([JobReport(jobID: job.id, token: job.lease?.token ?? 0, outcome: .failed(error: "boom"))])
            let retried = try #require(try results.first?.get())
            #expect(retried.state == .scheduled)
            #expect(scheduler.dueTimes.next == retried.runAt)
        }
    }
}
