import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Testing

/// The scheduler obeys the steering board on a real SQLite store: an open breaker dispatches
/// nothing of its type, a half-open one exactly its probes, a throttle caps starts, a drain
/// starves one worker only, a shed refuses submissions. Time is a ``ManualClock``: throttles
/// refill, silences end and breakers probe again exactly when a test moves it.
@Suite struct SchedulerSteeringTests {
    struct NoMetrics: SchedulerObserver {
        func leased(_ jobs: [JobRecord], now: Int64) {}
        func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {}
        func cancelledWhileWaiting(_ job: JobRecord) {}
    }

    let clock = ManualClock()

    func withScheduler(policies: [String: JobTypePolicy] = [:], _ body: (Scheduler) async throws -> Void) async throws {
        try await TemporaryStore.with(prefix: "steering") { store in
            let scheduler = Scheduler(store: store, workers: store, policies: policies, leaseTimeout: .seconds(30), observer: NoMetrics(), clock: self.clock)
            try await body(scheduler)
        }
    }

    func submit(_ scheduler: Scheduler, _ type: String, count: Int) async throws {
        let now = self.clock.nowMilliseconds()
        _ = try await scheduler.submit((0..<count).map { _ in JobSubmission(type: type, payload: "{}", runAt: now) })
    }

    func alert(_ labels: [String: String]) throws -> SteeringBoard.Activation {
        SteeringBoard.Activation(action: try #require(try SteeringAction(alertLabels: labels)), driver: .rule("\(labels)"), alertName: "Test")
    }

    func finish(_ scheduler: Scheduler, _ jobs: [JobRecord], succeeded: Bool) async throws {
        let reports = jobs.map {
            JobReport(jobID: $0.id, token: $0.lease!.token, outcome: succeeded ? .succeeded(result: nil) : .failed(error: "boom"))
        }
        _ = try await scheduler.report(reports)
    }

    /// How many jobs one lease call gives the worker.
    func leased(_ scheduler: Scheduler, worker: String = "w1", _ types: [String], limit: Int = 10) async throws -> Int {
        try await scheduler.lease(workerID: worker, types: types, limit: limit).count
    }

    @Test func pauseHoldsTheTypeThenExactlyTheProbesGoThroughBeforeItCloses() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 8)
            try await self.submit(scheduler, "mail", count: 2)
            let pause = try self.alert(["arbiter_action": "pause", "job_type": "build", "arbiter_probe": "3"])
            scheduler.steering.update([pause], external: false, at: 1)
            let whilePaused = try await scheduler.lease(workerID: "w1", types: ["build", "mail"], limit: 10)
            #expect(whilePaused.map(\.type) == ["mail", "mail"])
            scheduler.steering.update([], external: false, at: 2)
            #expect(scheduler.steering.board.breakers["build"]?.state == .halfOpen(admitted: 0, succeeded: 0))
            let probes = try await scheduler.lease(workerID: "w1", types: ["build"], limit: 10)
            #expect(probes.count == 3)
            let beyondProbes = try await self.leased(scheduler, worker: "w2", ["build"])
            #expect(beyondProbes == 0)
            try await self.finish(scheduler, Array(probes.prefix(2)), succeeded: true)
            #expect(scheduler.steering.board.breakers["build"]?.state == .halfOpen(admitted: 3, succeeded: 2))
            try await self.finish(scheduler, [probes[2]], succeeded: true)
            #expect(scheduler.steering.board.breakers["build"]?.state == .closed)
            let afterClosing = try await self.leased(scheduler, ["build"])
            #expect(afterClosing == 5)
        }
    }

    @Test func aFailedProbeReopensAndAnUnusedOneIsGivenBack() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 1)
            let pause = try self.alert(["arbiter_action": "pause", "job_type": "build", "arbiter_probe": "2"])
            scheduler.steering.update([pause], external: false, at: 1)
            scheduler.steering.update([], external: false, at: 2)
            // Only one job is queued: the second probe is given back, not lost.
            let first = try await scheduler.lease(workerID: "w1", types: ["build"], limit: 5)
            #expect(first.count == 1)
            #expect(scheduler.steering.board.breakers["build"]?.state == .halfOpen(admitted: 1, succeeded: 0))
            try await self.finish(scheduler, first, succeeded: false)
            #expect(scheduler.steering.board.breakers["build"]?.state == .open)
        }
    }

    @Test func aBreakerAFailedProbeReopenedProbesAgainExactlyAfterItsCooldown() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 3)
            let pause = try self.alert(["arbiter_action": "pause", "job_type": "build"])
            scheduler.steering.update([pause], external: false)
            scheduler.steering.update([], external: false)
            let probe = try await scheduler.lease(workerID: "w1", types: ["build"], limit: 5)
            #expect(probe.count == 1)
            try await self.finish(scheduler, probe, succeeded: false)
            #expect(scheduler.steering.board.breakers["build"]?.reopenedAt == self.clock.nowMilliseconds())
            self.clock.advance(by: .milliseconds(CircuitBreaker.reopenCooldown - 1))
            _ = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(scheduler.steering.board.breakers["build"]?.state == .open, "a millisecond before the cooldown ends it stays open")
            let whileOpen = try await self.leased(scheduler, ["build"])
            #expect(whileOpen == 0)
            self.clock.advance(by: .milliseconds(1))
            _ = try await scheduler.tick(workerTimeout: .seconds(3600))
            #expect(scheduler.steering.board.breakers["build"]?.state == .halfOpen(admitted: 0, succeeded: 0))
            let nextProbe = try await self.leased(scheduler, ["build"])
            #expect(nextProbe == 1)
        }
    }

    @Test func aPauseWithoutATargetHoldsEveryType() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 1)
            try await self.submit(scheduler, "mail", count: 1)
            scheduler.steering.update([try self.alert(["arbiter_action": "pause"])], external: false, at: 1)
            let whilePaused = try await self.leased(scheduler, ["build", "mail"], limit: 5)
            #expect(whilePaused == 0)
            scheduler.steering.update([], external: false, at: 2)
            let probe = try await self.leased(scheduler, ["build", "mail"], limit: 5)
            #expect(probe == 1)
        }
    }

    @Test func throttleCapsStartsUntilItsTokensRefillAndDrainStarvesOneWorker() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 10)
            let throttle = try self.alert(["arbiter_action": "throttle", "job_type": "build", "arbiter_rate": "2/m"])
            let drain = try self.alert(["arbiter_action": "drain", "worker_id": "w1"])
            scheduler.steering.update([throttle, drain], external: false, at: 1)
            let drained = try await self.leased(scheduler, worker: "w1", ["build"])
            #expect(drained == 0)
            let burst = try await self.leased(scheduler, worker: "w2", ["build"])
            #expect(burst == 2)
            let spent = try await self.leased(scheduler, worker: "w2", ["build"])
            #expect(spent == 0)
            // Two a minute: the next token comes 30 s after the last was taken.
            let wait = scheduler.idleWait(types: ["build"], ceiling: .seconds(60))
            #expect(wait > .seconds(29) && wait <= .seconds(30))
            self.clock.advance(by: .seconds(30) - .milliseconds(1))
            let early = try await self.leased(scheduler, worker: "w2", ["build"])
            #expect(early == 0)
            self.clock.advance(by: .milliseconds(1))
            let refilled = try await self.leased(scheduler, worker: "w2", ["build"])
            #expect(refilled == 1)
            scheduler.steering.update([], external: false, at: 2)
            let released = try await self.leased(scheduler, worker: "w1", ["build"])
            #expect(released == 7)
        }
    }

    @Test func aTypesRateLimitRefillsOnTheSchedulersClock() async throws {
        let policies = ["mail": JobTypePolicy(rateLimit: RateLimit(count: 2, per: .seconds(1)))]
        try await self.withScheduler(policies: policies) { scheduler in
            try await self.submit(scheduler, "mail", count: 5)
            let burst = try await self.leased(scheduler, ["mail"])
            #expect(burst == 2)
            let spent = try await self.leased(scheduler, ["mail"])
            #expect(spent == 0)
            #expect(scheduler.idleWait(types: ["mail"], ceiling: .seconds(1)) == .milliseconds(500))
            self.clock.advance(by: .milliseconds(499))
            let early = try await self.leased(scheduler, ["mail"])
            #expect(early == 0)
            self.clock.advance(by: .milliseconds(1))
            let refilled = try await self.leased(scheduler, ["mail"])
            #expect(refilled == 1)
            // A wall-clock step refills nothing: buckets run on monotonic time.
            self.clock.stepWallClock(by: .seconds(3600))
            let afterStep = try await self.leased(scheduler, ["mail"])
            #expect(afterStep == 0)
        }
    }

    @Test func operatorsOverrideAndSilenceUntilTheSilenceEnds() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 4)
            let pause = try self.alert(["arbiter_action": "pause", "job_type": "build"])
            scheduler.steering.update([pause], external: false, at: 1)
            scheduler.steering.override(jobType: "build", .forceClose(until: nil), at: 2)
            let forcedClosed = try await self.leased(scheduler, ["build"], limit: 1)
            #expect(forcedClosed == 1)
            scheduler.steering.override(jobType: "build", nil, at: 3)
            let paused = try await self.leased(scheduler, ["build"], limit: 1)
            #expect(paused == 0)
            let key = SteeringBoard.Key(kind: .pause, target: .jobType("build"))
            scheduler.steering.silence(key, until: self.clock.nowMilliseconds() + 60_000, at: 4)
            let silenced = try await self.leased(scheduler, ["build"], limit: 1)
            #expect(silenced == 1)
            self.clock.advance(by: .seconds(60) - .milliseconds(1))
            _ = try await scheduler.tick(workerTimeout: .seconds(3600))
            let stillSilenced = try await self.leased(scheduler, ["build"], limit: 1)
            #expect(stillSilenced == 1)
            self.clock.advance(by: .milliseconds(1))
            _ = try await scheduler.tick(workerTimeout: .seconds(3600))
            let obeyedAgain = try await self.leased(scheduler, ["build"], limit: 1)
            #expect(obeyedAgain == 0)
        }
    }

    @Test func aShedRefusesNewJobsOfItsTypeAndQueuedOnesStillRun() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 1)
            let shed = try self.alert(["arbiter_action": "shed", "job_type": "build"])
            scheduler.steering.update([shed], external: false)
            let now = self.clock.nowMilliseconds()
            let batch = [JobSubmission(type: "mail", payload: "{}", runAt: now), JobSubmission(type: "build", payload: "{}", runAt: now)]
            let refusal = await #expect(throws: ShedRefusal.self) { try await scheduler.submit(batch) }
            #expect(refusal == ShedRefusal(jobType: "build", alerts: ["Test"], index: 1))
            let mail = try await self.leased(scheduler, ["mail"])
            #expect(mail == 0, "nothing of a refused batch is stored")
            let queued = try await self.leased(scheduler, ["build"])
            #expect(queued == 1, "work queued before the shed keeps running")
            scheduler.steering.update([], external: false)
            try scheduler.admit(batch)
        }
    }
}
