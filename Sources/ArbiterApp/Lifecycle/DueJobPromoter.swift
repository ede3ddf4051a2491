import ArbiterCore
import ArbiterJobs
import Logging
import ServiceLifecycle

/// Queues jobs the scheduler put off (a retry's backoff, a delayed submission) the moment they come
/// due, between the job clock's once-a-second ticks: a retry after 200 ms starts after 200 ms. It
/// keeps time on the scheduler's clock.
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

    func loop() async {
        let due = self.scheduler.dueTimes
        let clock = self.scheduler.clock
        while !Task.isCancelled {
            let generation = due.changed.generation
            let now = clock.nowMilliseconds()
            if let next = due.next, next <= now {
                do {
                    try await self.scheduler.promoteDueJobs()
                } catch {
                    // The clock's tick queues them instead; try again after a pause.
                    self.logger.error("queueing due jobs failed", metadata: ["error": "\(error)"])
                    try? await clock.sleep(for: .seconds(1))
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
