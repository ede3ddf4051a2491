import ArbiterCore
import ArbiterJobs
import Logging
import ServiceLifecycle

/// Removes finished jobs past their retention, once an `interval`, on the leader only (a single
/// process always leads). Each batch is one small store operation of its own, and after each it rests
/// three times as long as the batch took, so a large prune holds the store at most a quarter of the
/// time: leases and reports submitted meanwhile commit between batches. It also refreshes the store's
/// size and row counts.
///
/// - Important: Its loop ends at graceful shutdown; a batch in progress finishes first.
struct JobPruner: Service {
    let store: Ledger
    let policy: RetentionPolicy
    /// Per job type, where its retention differs.
    let overrides: [String: RetentionOverride]
    let interval: Duration
    let metrics: RetentionMetrics
    let clock: any TimeSource
    let leadership: Leadership
    /// The SQLite store's directory, for the free space beside it (`nil` for PostgreSQL).
    let dataDirectory: String?
    let logger: Logger
    /// Jobs removed per store operation.
    var batchSize = 256
    let failures = FailureStreak()

    func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await self.clock.sleep(for: self.interval) }
            } catch {
                return
            }
            await cancelWhenGracefulShutdown { await self.pass() }
        }
    }

    /// One pass: every batch due (while this process leads), then the store's statistics.
    func pass() async {
        do {
            if self.leadership.leads {
                let removed = try await self.prune()
                if removed > 0 { self.logger.info("finished jobs past their retention removed", metadata: ["jobs_pruned": "\(removed)"]) }
                self.metrics.record(
                    try await self.store.statistics(), diskFree: self.dataDirectory.flatMap(RetentionMetrics.freeBytes(at:)),
                    at: self.clock.nowMilliseconds())
            }
            let failed = self.failures.succeeded()
            if failed > 0 { self.logger.notice("retention running again", metadata: ["failed_passes": "\(failed)"]) }
        } catch {
            if let count = self.failures.failed() {
                self.logger.error("retention pass failed", metadata: ["error": "\(error)", "failed_passes_in_a_row": "\(count)"])
            }
        }
    }

    /// Removes batches until one comes back short, this process stops leading, or the task is cancelled.
    /// - Returns: How many jobs were removed.
    func prune() async throws -> Int {
        let cutoffs = RetentionCutoffs(policy: self.policy, overrides: self.overrides, now: self.clock.nowMilliseconds())
        guard cutoffs.latest != nil else { return 0 }
        var removed = 0
        while !Task.isCancelled, self.leadership.leads {
            let started = ContinuousClock.now
            let batch = try await AuditActor.$current.withValue("system:retention") {
                try await self.store.prune(cutoffs, limit: self.batchSize, now: self.clock.nowMilliseconds())
            }
            let took = ContinuousClock.now - started
            self.metrics.pruned(batch, duration: took)
            removed += batch.count
            if batch.count < self.batchSize { break }
            try await self.clock.sleep(for: max(took * 3, .milliseconds(1)))
        }
        return removed
    }
}
