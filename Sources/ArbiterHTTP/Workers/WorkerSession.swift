import ArbiterCore
import ArbiterJobs
import Synchronization
import WSCore

/// What the server knows about one connected worker: the jobs it is running (assigned and not yet
/// reported), the slots reserved for leases in progress, and whether it asked to drain. Shared by
/// the connection's reader, its dispatch loop and submissions that push jobs straight to it.
final class WorkerSession: PushTarget {
    let workerID: String
    let capabilities: [String]
    let concurrency: Int
    private let outbound: WebSocketOutboundWriter
    private let metrics: JobMetrics

    private struct State {
        /// Job id → lease token of every assignment not yet reported.
        var running: [String: Int64] = [:]
        /// Slots promised to leases that are being taken.
        var reserved = 0
        var draining = false
    }

    private let state: Mutex<State>

    init(
        workerID: String, capabilities: [String], concurrency: Int, running: [String: Int64], outbound: WebSocketOutboundWriter, metrics: JobMetrics
    ) {
        self.workerID = workerID
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.outbound = outbound
        self.metrics = metrics
        self.state = Mutex(State(running: running))
    }

    /// Free slots worth a lease while the worker is busy: an eighth of its concurrency, at least one.
    var batchThreshold: Int { max(1, self.concurrency / 8) }

    /// Running nothing the server knows of.
    var isIdle: Bool {
        self.state.withLock { $0.running.isEmpty && $0.reserved == 0 }
    }

    /// Slots the worker has free, 0 while draining.
    var freeSlots: Int {
        self.state.withLock { $0.draining ? 0 : max(0, self.concurrency - $0.running.count - $0.reserved) }
    }

    func reserveSlots(upTo count: Int) -> Int {
        self.state.withLock { state in
            let free = state.draining ? 0 : max(0, self.concurrency - state.running.count - state.reserved)
            let taken = min(free, max(count, 0))
            state.reserved += taken
            return taken
        }
    }

    /// Records the jobs as running, releases the reservation, and writes their `assign` messages. A
    /// write that fails (the connection is gone) leaves the lease to expire.
    func deliver(_ jobs: [JobRecord], reserved: Int) async {
        self.state.withLock { state in
            for job in jobs { state.running[job.id] = job.lease?.token ?? 0 }
            state.reserved = max(0, state.reserved - reserved)
        }
        for job in jobs {
            do {
                try await self.outbound.writeTextMessage(WorkerChannel.assignmentText(job))
            } catch {
                return
            }
            self.metrics.assigned(job, now: WallClock.nowMilliseconds())
        }
    }

    /// The job is no longer the worker's (reported, refused as stale, or cancelled).
    func finished(_ jobID: String) {
        _ = self.state.withLock { $0.running.removeValue(forKey: jobID) }
    }

    func drain() {
        self.state.withLock { $0.draining = true }
    }
}
