@testable import ArbiterApp
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterTesting
import Logging
import Testing

/// Retention's loop on a ``ManualClock``: a follower removes nothing; the leader removes finished jobs
/// past their period in batches, resting on the clock between them, and counts them.
@Suite(.timeLimit(.minutes(5)))
struct JobPrunerTests {
    let clock = ManualClock()

    @Test func theLeaderRemovesBatchesRestingBetweenThem() async throws {
        try await TemporaryStore.with(prefix: "pruner") { store in
            let registry = MetricRegistry()
            let metrics = try JobMetrics(registry: registry)
            let scheduler = Scheduler(
                store: store, workers: store, consents: store, policies: [:], leaseTimeout: .seconds(30), observer: metrics, clock: self.clock)
            for _ in 0..<5 {
                let job = try #require(try await scheduler.submit([JobSubmission(type: "t", payload: "{}", runAt: self.clock.nowMilliseconds())]).first?.job)
                _ = try await scheduler.cancel(jobID: job.id, reason: "test")
            }
            let leadership = Leadership.follower()
            let pruner = JobPruner(
                store: store, policy: RetentionPolicy(periods: [.cancelled: .seconds(10)]), overrides: [:], interval: .seconds(60),
                metrics: try RetentionMetrics(registry: registry, sqlite: false), clock: self.clock, leadership: leadership, dataDirectory: nil,
                logger: Logger(label: "test"), batchSize: 2)
            self.clock.advance(by: .seconds(9))
            _ = leadership.update(.init(leads: true, epoch: 1, leader: "me"))
            #expect(try await pruner.prune() == 0, "not past the period yet")
            self.clock.advance(by: .seconds(2))
            _ = leadership.update(.init(leads: false, epoch: 2, leader: "other"))
            await pruner.pass()
            #expect(try await store.count(JobFilter(state: .cancelled)) == 5, "a follower removes nothing")

            _ = leadership.update(.init(leads: true, epoch: 3, leader: "me"))
            let pass = Task { await pruner.pass() }
            // Two full batches, each followed by a rest on the clock; the third, short, ends the pass.
            for _ in 0..<2 {
                await self.clock.waitForSleepers(1)
                let deadline = try #require(self.clock.nextDeadline)
                self.clock.advance(by: .milliseconds(deadline - self.clock.monotonicMilliseconds()))
            }
            await pass.value
            #expect(try await store.count(JobFilter()) == 0)
            var out: [UInt8] = []
            registry.render(.text, into: &out)
            let text = String(decoding: out, as: UTF8.self)
            #expect(text.contains(#"arbiter_jobs_pruned_total{job_type="t",state="cancelled"} 5"#), "\(text)")
            #expect(text.contains(#"arbiter_store_rows{table="jobs"} 0"#))
        }
    }
}
