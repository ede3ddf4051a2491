import ArbiterCore
import ArbiterJobs
import Logging
import ServiceLifecycle

/// Queues jobs the scheduler put off (a retry's backoff, a delayed submission) the moment they come
/// due, between the job clock's once-a-second ticks: a retry after 200 ms starts after 200 ms.
///
/// - Important: Its loop ends at graceful shutdown.
struct DueJobPromoter: Service {
    let scheduler: Scheduler
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    private func loop() async {
        let due = self.scheduler.dueTimes
        while !Task.isCancelled {
            let generation = due.changed.generation
            let now = WallClock.nowMilliseconds()
            if let next = due.next, next <= now {
                do {
                    try await self.scheduler.promoteDueJobs()
                } catch {
                    // The clock's tick queues them instead; try again after a pause.
                    self.logger.error("queueing due jobs failed", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
                continue
            }
            // Until the earliest comes due, an earlier one is noted, or a second passes (the clock
            // ticks then anyway).
            let wait = due.next.map { Duration.milliseconds(min($0 - now, 1000)) } ?? .seconds(1)
            await due.changed.wait(after: generation, timeout: wait)
        }
    }
}
