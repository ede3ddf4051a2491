import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Testing

/// The scheduler obeys the steering board on a real SQLite store: an open breaker dispatches
/// nothing of its type, a half-open one exactly its probes, a throttle caps starts, a drain
/// starves one worker only.
@Suite struct SchedulerSteeringTests {
    struct NoMetrics: SchedulerObserver {
        func leased(_ jobs: [JobRecord], now: Int64) {}
        func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {}
        func cancelledWhileWaiting(_ job: JobRecord) {}
    }

    func withScheduler(_ body: (Scheduler) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "steering")
        defer { directory.remove() }
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: directory.file("arbiter.db")))
        let store = try SQLiteJobStore(path: directory.file("arbiter.db"))
        let scheduler = Scheduler(store: store, workers: store, policies: [:], leaseTimeout: .seconds(30), observer: NoMetrics())
        do {
            try await body(scheduler)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    func submit(_ scheduler: Scheduler, _ type: String, count: Int) async throws {
        let now = WallClock.nowMilliseconds()
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
            #expect(try await scheduler.lease(workerID: "w2", types: ["build"], limit: 10).isEmpty)
            try await self.finish(scheduler, Array(probes.prefix(2)), succeeded: true)
            #expect(scheduler.steering.board.breakers["build"]?.state == .halfOpen(admitted: 3, succeeded: 2))
            try await self.finish(scheduler, [probes[2]], succeeded: true)
            #expect(scheduler.steering.board.breakers["build"]?.state == .closed)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 10).count == 5)
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

    @Test func aPauseWithoutATargetHoldsEveryType() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 1)
            try await self.submit(scheduler, "mail", count: 1)
            scheduler.steering.update([try self.alert(["arbiter_action": "pause"])], external: false, at: 1)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build", "mail"], limit: 5).isEmpty)
            scheduler.steering.update([], external: false, at: 2)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build", "mail"], limit: 5).count == 1)
        }
    }

    @Test func throttleCapsStartsAndDrainStarvesOneWorker() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 10)
            let throttle = try self.alert(["arbiter_action": "throttle", "job_type": "build", "arbiter_rate": "2/m"])
            let drain = try self.alert(["arbiter_action": "drain", "worker_id": "w1"])
            scheduler.steering.update([throttle, drain], external: false, at: 1)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 10).isEmpty)
            #expect(try await scheduler.lease(workerID: "w2", types: ["build"], limit: 10).count == 2)
            #expect(try await scheduler.lease(workerID: "w2", types: ["build"], limit: 10).isEmpty)
            #expect(scheduler.idleWait(types: ["build"], ceiling: .seconds(60)) > .seconds(20))
            scheduler.steering.update([], external: false, at: 2)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 10).count == 8)
        }
    }

    @Test func operatorsOverrideAndSilence() async throws {
        try await self.withScheduler { scheduler in
            try await self.submit(scheduler, "build", count: 3)
            let pause = try self.alert(["arbiter_action": "pause", "job_type": "build"])
            scheduler.steering.update([pause], external: false, at: 1)
            scheduler.steering.override(jobType: "build", .forceClose(until: nil), at: 2)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 1).count == 1)
            scheduler.steering.override(jobType: "build", nil, at: 3)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 1).isEmpty)
            let key = SteeringBoard.Key(kind: .pause, target: .jobType("build"))
            scheduler.steering.silence(key, until: WallClock.nowMilliseconds() + 60_000, at: 4)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 1).count == 1)
            scheduler.steering.expire(now: WallClock.nowMilliseconds() + 120_000)
            #expect(try await scheduler.lease(workerID: "w1", types: ["build"], limit: 1).isEmpty)
        }
    }
}
