import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import AsyncAlgorithms
import Logging
import ServiceLifecycle

/// Moves time forward for jobs, once a second: scheduled jobs whose `run_at` has come are queued, and
/// running jobs whose lease ran out are requeued (or, on their last attempt, killed), and the job
/// gauges are refreshed.
///
/// - Important: Its loop ends at graceful shutdown; a tick in progress finishes first.
struct JobClock: Service {
    let store: any JobStore
    let workers: any WorkerStore
    let gauges: JobGauges
    let metrics: JobMetrics
    /// A worker silent for longer goes offline and its leases expire.
    let workerTimeout: Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        for try await _ in AsyncTimerSequence(interval: self.interval, clock: .continuous).cancelOnGracefulShutdown() {
            await self.tick()
        }
    }

    func tick() async {
        let now = WallClock.nowMilliseconds()
        do {
                        let offline = try await self.workers.markOffline(silentSince: now - self.workerTimeout.wholeMilliseconds, now: now)
            for id in offline {
                self.logger.warning("worker missed its heartbeats and is offline; its leases are expired", metadata: ["worker_id": "\(id)"])
            }
            let promoted = try await self.store.promoteDueJobs(now: now)
            let expired = try await self.store.expireLeases(now: now)
            for job in expired { self.metrics.attemptFailed(job, leaseExpired: true) }
            try await self.gauges.refresh(from: self.store, workers: self.workers)
            if promoted > 0 || !expired.isEmpty {
                self.logger.debug("job clock", metadata: ["promoted": "\(promoted)", "leases_expired": "\(expired.count)"])
            }
        } catch {
            self.logger.error("job clock tick failed", metadata: ["error": "\(error)"])
        }
    }
}
