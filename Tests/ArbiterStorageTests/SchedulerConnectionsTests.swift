import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Synchronization
import Testing

/// The scheduler and the connections that speak for workers, on a real SQLite store: a slot that
/// frees is free before the dispatch loops wake, a lease that runs out tells its worker, a clean
/// stop is not an offline event, and a newer connection replaces an older one. Time is a
/// ``ManualClock``: leases run out and jobs come due exactly when a test moves it.
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

    let clock = ManualClock()

    func withScheduler(leaseTimeout: Duration = .seconds(30), _ body: (Scheduler, Ledger, Observer) async throws -> Void) async throws {
        try await TemporaryStore.with(prefix: "connections") { store in
            let observer = Observer()
            let scheduler = Scheduler(store: store, workers: store, policies: [:], leaseTimeout: leaseTimeout, observer: observer, clock: self.clock)
            try await body(scheduler, store, observer)
        }
    }

    /// Registers the worker and makes `target` speak for it.
    func connect(_ scheduler: Scheduler, _ store: Ledger, _ target: Target) async throws -> WorkerConnections.Connection {
        _ = try await scheduler.register(workerID: target.workerID, capabilities: ["t"], concurrency: 1, labels: [:])
        let connection = await scheduler.claim(workerID: target.workerID)
        let attached = await scheduler.attach(target, as: connection)
        #expect(attached)
        return connection
    }

    func submit(_ scheduler: Scheduler, count: Int = 1) async throws {
        let now = self.clock.nowMilliseconds()
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
            self.clock.advance(by: .milliseconds(50))
            let tick = try await scheduler.tick(workerTimeout: .seconds(60))
            #expect(tick.expired.map(\.id) == [jobID] && tick.offlineWorkers.isEmpty)
            let notices = scheduler.takeCancelNotices(workerID: "w1")
            #expect(notices == [CancelNotice(jobID: jobID, reason: CancelNotice.leaseExpired, leaseToken: token)])
            // The dispatch loop frees the slot as it tells the worker; the job is queued again for it.
            let released = target.release(jobID: jobID, token: token)
            #expect(released == .released)
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
            let stop = await scheduler.detach(stopping, as: stopped, stopped: true)
            let drop = await scheduler.detach(dropping, as: dropped, stopped: false)
            #expect(stop == .stopped && drop == .disconnected)
            #expect(try await store.worker(id: "w1") == nil)
            #expect(try await store.worker(id: "w2") != nil)
            #expect(observer.stopped.withLock { $0 } == ["w1"])
            self.clock.advance(by: .milliseconds(11))
            // Only the worker that dropped out misses its heartbeats.
            let tick = try await scheduler.tick(workerTimeout: .milliseconds(10))
            #expect(tick.offlineWorkers == ["w2"])
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
            let ended = await scheduler.detach(older, as: first, stopped: true)
            #expect(ended == .nothing)
            #expect(try await store.worker(id: "w1") != nil && observer.stopped.withLock { $0 }.isEmpty)
            #expect(scheduler.speaks(second))
        }
    }

    @Test func aFailureKeepsTheFirst64KiBOfItsError() async throws {
        try await self.withScheduler { scheduler, store, _ in
            let target = Target("w1", concurrency: 1, wake: scheduler.wake)
            _ = try await self.connect(scheduler, store, target)
            let now = self.clock.nowMilliseconds()
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
            let later = self.clock.nowMilliseconds() + 60_000
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: later)])
            #expect(scheduler.dueTimes.next == later)
            let before = try await scheduler.promoteDueJobs()
            #expect(before == 0, "nothing is queued before its time")
            let soon = self.clock.nowMilliseconds() + 100
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: soon)])
            #expect(scheduler.dueTimes.next == soon)
            self.clock.advance(by: .milliseconds(99))
            let early = try await scheduler.promoteDueJobs()
            #expect(early == 0, "a millisecond early is early")
            self.clock.advance(by: .milliseconds(1))
            let due = try await scheduler.promoteDueJobs()
            #expect(due == 1)
            #expect(try await store.list(JobFilter(state: .queued), after: nil, limit: 10).count == 1)
            #expect(scheduler.dueTimes.next == later, "the later time is still kept")
        }
    }

    @Test func aRetryIsQueuedExactlyWhenItsBackoffEnds() async throws {
        try await self.withScheduler { scheduler, store, _ in
            let retry = RetryPolicy(maxAttempts: 3, initialBackoff: .seconds(1), maxBackoff: .seconds(1), timeout: .seconds(30))
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: self.clock.nowMilliseconds(), retry: retry)])
            _ = try await scheduler.register(workerID: "w", capabilities: ["t"], concurrency: 1, labels: [:])
            let job = try #require(try await scheduler.lease(workerID: "w", types: ["t"], limit: 1).first)
            let failedAt = self.clock.nowMilliseconds()
            let results = try await scheduler.report([JobReport(jobID: job.id, token: job.lease?.token ?? 0, outcome: .failed(error: "boom"))])
            let retried = try #require(try results.first?.get())
            // Full jitter: anywhere from no wait to the one-second cap.
            let backoff = retried.runAt - failedAt
            #expect(retried.state == .scheduled && (0...1000).contains(backoff))
            #expect(scheduler.dueTimes.next == retried.runAt, "the retry is noted for when its backoff ends")
            if backoff > 0 {
                self.clock.advance(by: .milliseconds(backoff - 1))
                let early = try await scheduler.promoteDueJobs()
                #expect(early == 0, "not before the backoff ends")
                #expect(try await store.job(id: job.id)?.state == .scheduled)
                self.clock.advance(by: .milliseconds(1))
            }
            let due = try await scheduler.promoteDueJobs()
            #expect(due == 1)
            #expect(try await store.job(id: job.id)?.state == .queued)
            let again = try await scheduler.lease(workerID: "w", types: ["t"], limit: 1)
            #expect(again.map(\.id) == [job.id] && again.first?.attempt == 2)
        }
    }

    @Test func aLeaseExpiresExactlyWhenItsTimeoutHasPassed() async throws {
        try await self.withScheduler(leaseTimeout: .seconds(30)) { scheduler, store, _ in
            try await self.submit(scheduler)
            _ = try await scheduler.register(workerID: "w", capabilities: ["t"], concurrency: 1, labels: [:])
            let job = try #require(try await scheduler.lease(workerID: "w", types: ["t"], limit: 1).first)
            #expect(job.lease?.expiresAt == self.clock.nowMilliseconds() + 30_000)
            self.clock.advance(by: .seconds(30) - .milliseconds(1))
            let early = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(early.expired.isEmpty, "a millisecond before the timeout the lease holds")
            #expect(try await store.job(id: job.id)?.state == .running)
            self.clock.advance(by: .milliseconds(1))
            let due = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(due.expired.map(\.id) == [job.id])
            #expect(try await store.job(id: job.id)?.state == .queued)
            let notices = scheduler.takeCancelNotices(workerID: "w")
            #expect(notices.map(\.reason) == [CancelNotice.leaseExpired])
        }
    }

    @Test func progressPushesTheLeaseOnFromTheReport() async throws {
        try await self.withScheduler(leaseTimeout: .seconds(30)) { scheduler, store, _ in
            try await self.submit(scheduler)
            _ = try await scheduler.register(workerID: "w", capabilities: ["t"], concurrency: 1, labels: [:])
            let job = try #require(try await scheduler.lease(workerID: "w", types: ["t"], limit: 1).first)
            self.clock.advance(by: .seconds(20))
            _ = try await scheduler.report([JobReport(jobID: job.id, token: job.lease?.token ?? 0, outcome: .progress)])
            self.clock.advance(by: .seconds(20))
            let held = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(held.expired.isEmpty, "40 s after the lease, 20 s after the progress report")
            self.clock.advance(by: .seconds(10))
            let ranOut = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(ranOut.expired.map(\.id) == [job.id])
            #expect(try await store.job(id: job.id)?.state == .queued)
        }
    }

    @Test func aReconnectingWorkerKeepsWhatItHoldsAndHearsWhatWasCancelled() async throws {
        try await self.withScheduler { scheduler, _, _ in
            try await self.submit(scheduler, count: 3)
            _ = try await scheduler.register(workerID: "w", capabilities: ["t"], concurrency: 3, labels: [:])
            let jobs = try await scheduler.lease(workerID: "w", types: ["t"], limit: 3)
            try #require(jobs.count == 3)
            let (kept, lost, cancelled) = (jobs[0], jobs[1], jobs[2])
            _ = try await scheduler.cancel(jobID: cancelled.id, reason: "not needed")
            let notices = scheduler.takeCancelNotices(workerID: "w")
            #expect(notices == [CancelNotice(jobID: cancelled.id, reason: "not needed", leaseToken: cancelled.lease?.token ?? 0)])
            let registration = try await scheduler.register(
                workerID: "w", capabilities: ["t"], concurrency: 3, labels: [:], holding: [kept.id, cancelled.id])
            #expect(registration.held == [kept.id: kept.lease?.token ?? 0])
            #expect(registration.cancelled.map { $0.jobID } == [cancelled.id] && registration.cancelled.first?.reason == "not needed")
            // The lease it did not list ends now and is requeued on the next tick.
            let tick = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(tick.expired.map(\.id) == [lost.id])
        }
    }
}
