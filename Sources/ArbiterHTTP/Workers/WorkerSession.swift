import ArbiterJobs
import Synchronization

/// What the server knows about one connected worker: the jobs it is running (assigned and not yet
/// reported) and whether it asked to drain. Shared by the connection's reader and dispatcher.
final class WorkerSession: Sendable {
    let workerID: String
    let capabilities: [String]
    let concurrency: Int

    private struct State {
        /// Job id → lease token of every assignment not yet reported.
        var running: [String: Int64] = [:]
        var draining = false
    }

    private let state: Mutex<State>

    init(workerID: String, capabilities: [String], concurrency: Int, running: [String: Int64]) {
        self.workerID = workerID
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.state = Mutex(State(running: running))
    }

    /// Free slots worth a lease while the worker is busy: an eighth of its concurrency, at least one.
    var batchThreshold: Int { max(1, self.concurrency / 8) }

    /// Running nothing the server knows of.
    var isIdle: Bool {
        self.state.withLock { $0.running.isEmpty }
    }

    /// Slots the worker has free, 0 while draining.
    var freeSlots: Int {
        self.state.withLock { $0.draining ? 0 : max(0, self.concurrency - $0.running.count) }
    }

    func assigned(_ jobs: [JobRecord]) {
        self.state.withLock { state in
            for job in jobs { state.running[job.id] = job.lease?.token ?? 0 }
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
