import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import Logging
import ServiceLifecycle

/// Moves time forward for jobs, once an `interval` on the scheduler's clock: scheduled jobs whose
/// `run_at` has come are queued, and running jobs whose lease ran out are requeued (or, on their
/// last attempt, killed), and the job gauges are refreshed. In a cluster only the leader moves time;
/// every replica refreshes its gauges.
///
/// - Important: Its loop ends at graceful shutdown; a tick in progress finishes first.
struct JobClock: Service {
    let scheduler: Scheduler
    let gauges: JobGauges
    let audit: (store: any AuditStore, metrics: AuditMetrics)
    let consentMetrics: ConsentMetrics
    /// A worker silent for longer goes offline and its leases expire.
    let workerTimeout: Duration
    let interval: Duration
    let logger: Logger
    var leadership = Leadership.alone()
    /// Ticks failed in a row (the store unreachable, say): logged at the 1st, 2nd, 4th… and when they end.
    let failures = FailureStreak()

    func run() async throws {
        let clock = self.scheduler.clock
        let interval = max(1, self.interval.wholeMilliseconds)
        var deadline = clock.monotonicMilliseconds()
        while true {
            // A tick that overran its interval is followed by the next at once, not by a burst.
            deadline = max(deadline + interval, clock.monotonicMilliseconds())
            let next = deadline
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(untilMonotonic: next) }
            } catch {
                return
            }
            await self.tick()
        }
    }

    func tick() async {
        do {
            if self.leadership.leads { try await self.moveTime() }
            try await self.gauges.refresh(from: self.scheduler.store, workers: self.scheduler.workers)
            try await self.audit.metrics.refresh(from: self.audit.store)
            let failed = self.failures.succeeded()
            if failed > 0 { self.logger.notice("job clock ticking again", metadata: ["failed_ticks": "\(failed)"]) }
        } catch {
            if let count = self.failures.failed() {
                self.logger.error("job clock tick failed", metadata: ["error": "\(error)", "failed_ticks_in_a_row": "\(count)"])
            }
        }
    }

    /// The leader's part: due jobs queued, leases, silent workers and consents expired.
    private func moveTime() async throws {
        let tick = try await self.scheduler.tick(workerTimeout: self.workerTimeout)
        self.gauges.wentOffline(tick.offlineWorkers)
        for id in tick.offlineWorkers {
            self.logger.warning("worker missed its heartbeats and is offline; its leases are expired", metadata: ["worker_id": "\(id)"])
        }
        if !tick.expiredConsents.consents.isEmpty {
            self.consentMetrics.expired(tick.expiredConsents.consents)
            for consent in tick.expiredConsents.consents {
                self.logger.info(
                    "consent expired", metadata: ["consent_id": "\(consent.id)", "user_id": "\(consent.userID)", "scope": "\(consent.scope)"])
            }
            self.logger.info("jobs cancelled by expired consent", metadata: ["jobs_cancelled": "\(tick.expiredConsents.cancelled.count)"])
        }
        if tick.promoted > 0 || !tick.expired.isEmpty {
            self.logger.debug("job clock", metadata: ["promoted": "\(tick.promoted)", "leases_expired": "\(tick.expired.count)"])
        }
    }
}
