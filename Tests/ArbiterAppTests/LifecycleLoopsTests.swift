@testable import ArbiterApp
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterStorage
import ArbiterTesting
import Logging
import Testing

/// The daemon's time loops run on the scheduler's clock: on a ``ManualClock`` a delayed job is
/// queued and a lease expires exactly when the test moves time, with no sleeping.
// A hang fails within minutes; a loaded machine may take a while over the thirty ticks' commits.
@Suite(.timeLimit(.minutes(5)))
struct LifecycleLoopsTests {
    let clock = ManualClock()

    func withScheduler(_ body: (Scheduler, Ledger, JobMetrics, MetricRegistry) async throws -> Void) async throws {
        try await TemporaryStore.with(prefix: "loops") { store in
            let registry = MetricRegistry()
            let metrics = try JobMetrics(registry: registry)
            let scheduler = Scheduler(
                store: store, workers: store, consents: store, policies: [:], leaseTimeout: .seconds(30), observer: metrics, clock: self.clock)
            try await body(scheduler, store, metrics, registry)
        }
    }

    @Test func theDueJobPromoterQueuesADelayedJobWhenTheClockReachesIt() async throws {
        try await self.withScheduler { scheduler, store, _, _ in
            let promoter = DueJobPromoter(scheduler: scheduler, logger: Logger(label: "test"))
            let loop = Task { await promoter.loop() }
            // Nothing is due: the loop waits a second, the job clock's tick.
            await self.clock.waitForSleeper(deadline: 1_000)
            let runAt = self.clock.nowMilliseconds() + 250
            let outcomes = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: runAt)])
            let id = try #require(outcomes.first?.job.id)
            // The earlier time wakes the loop, which now waits for it.
            await self.clock.waitForSleeper(deadline: 250)
            self.clock.advance(by: .milliseconds(249))
            #expect(try await store.job(id: id)?.state == .scheduled)
            self.clock.advance(by: .milliseconds(1))
            // Queued, and with nothing else due the loop waits a second again.
            await self.clock.waitForSleeper(deadline: 1_250)
            #expect(try await store.job(id: id)?.state == .queued)
            loop.cancel()
            await loop.value
        }
    }

    @Test func theJobClockExpiresALeaseOnTheTickAfterItRunsOut() async throws {
        try await self.withScheduler { scheduler, store, metrics, registry in
            let jobClock = JobClock(
                scheduler: scheduler, gauges: try JobGauges(registry: registry, policies: [:], jobMetrics: metrics),
                audit: (store, try AuditMetrics(registry: registry)), consentMetrics: metrics.consent, workerTimeout: .seconds(3600),
                interval: .seconds(1), logger: Logger(label: "test"))
            _ = try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: self.clock.nowMilliseconds())])
            _ = try await scheduler.register(workerID: "w", capabilities: ["t"], concurrency: 1, labels: [:])
            let job = try #require(try await scheduler.lease(workerID: "w", types: ["t"], limit: 1).first)
            let loop = Task { try await jobClock.run() }
            await self.clock.waitForSleeper(deadline: 1_000)
            // Ticks at 1 s … 29 s leave the lease alone.
            for second in 1...29 {
                self.clock.advance(by: .seconds(1))
                await self.clock.waitForSleeper(deadline: Int64(second + 1) * 1_000)
            }
            #expect(try await store.job(id: job.id)?.state == .running)
            // The tick at 30 s finds it run out.
            self.clock.advance(by: .seconds(1))
            await self.clock.waitForSleeper(deadline: 31_000)
            #expect(try await store.job(id: job.id)?.state == .queued)
            let notices = scheduler.takeCancelNotices(workerID: "w")
            #expect(notices.map(\.reason) == [CancelNotice.leaseExpired])
            loop.cancel()
            try await loop.value
        }
    }
}
