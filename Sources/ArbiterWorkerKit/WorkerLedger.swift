import ArbiterWorkerProtocol
import Synchronization
import WSClient

/// The worker's memory across connections: jobs running, reports not yet acknowledged by the server
/// (sent again after a reconnect, so a server restart loses no outcome), and the current connection.
final class WorkerLedger: Sendable {
    /// A running job: its task once attached (a job is entered before its task starts, so a job that
    /// finishes at once still finds its entry).
    private struct Running {
        var task: Task<Void, Never>?
        /// Cancelled by the server before its task was attached.
        var cancelled = false
    }

    private struct State {
        var running: [String: Running] = [:]
        /// Job id → the report, until the server acks or refuses it.
        var unacknowledged: [String: WorkerMessage] = [:]
        /// Reports waiting to go out on the current connection, oldest first.
        var unsent: [String] = []
        /// Wakes the current connection's sender.
        var flush: AsyncStream<Void>.Continuation?
        var outbound: WebSocketOutboundWriter?
        var draining = false
    }

    private let state = Mutex(State())

    var isDraining: Bool { self.state.withLock { $0.draining } }
    var isIdle: Bool { self.state.withLock { $0.running.isEmpty && $0.unacknowledged.isEmpty } }
    var runningCount: Int { self.state.withLock { $0.running.count } }

    /// Jobs whose leases the worker still needs: running, or reported and not yet acknowledged.
    var holding: [String] {
        self.state.withLock { state in Set(state.running.keys).union(state.unacknowledged.keys).sorted() }
    }

    func isRunning(_ jobID: String) -> Bool {
        self.state.withLock { $0.running[jobID] != nil }
    }

    /// Enters a job before its task starts.
    func enter(_ jobID: String) {
        self.state.withLock { $0.running[jobID] = Running() }
    }

    /// Attaches the job's task once it exists; a job the server cancelled in between is cancelled now
    /// (one that already finished needs nothing: its report may still be on its way out).
    func attach(_ jobID: String, _ task: Task<Void, Never>) {
        let cancel = self.state.withLock { state -> Bool in
            guard let entry = state.running[jobID] else { return false }
            if entry.cancelled {
                state.running.removeValue(forKey: jobID)
                return true
            }
            state.running[jobID]?.task = task
            return false
        }
        if cancel { task.cancel() }
    }

    /// Records a job's outcome for the sender: reports that pile up while one batch is being written
    /// go out together in the next.
    func finished(_ jobID: String, report: WorkerMessage?) {
        self.state.withLock { state in
            guard let entry = state.running.removeValue(forKey: jobID), !entry.cancelled, let report else { return }
            state.unacknowledged[jobID] = report
            state.unsent.append(jobID)
            state.flush?.yield()
        }
    }

    /// Up to `limit` reports not yet sent on this connection, oldest first.
    func takeUnsent(limit: Int) -> [WorkerMessage] {
        self.state.withLock { state in
            let ids = state.unsent.prefix(limit)
            state.unsent.removeFirst(ids.count)
            return ids.compactMap { state.unacknowledged[$0] }
        }
    }

    /// A report was changed to fit the server's limits: the new one is what a resend sends.
    func replace(_ jobID: String, with report: WorkerMessage) {
        self.state.withLock { state in
            if state.unacknowledged[jobID] != nil { state.unacknowledged[jobID] = report }
        }
    }

    /// The server refused a `complete` for its result (`result_too_large`): nothing was recorded and
    /// the lease is still the worker's, so the attempt is reported as failed instead, saying why.
    /// - Returns: Whether a `complete` for the job was waiting for its answer.
    func refusedResult(_ jobID: String, reason: String) -> Bool {
        self.state.withLock { state in
            guard case .complete(_, let token, _)? = state.unacknowledged[jobID] else { return false }
            state.unacknowledged[jobID] = .fail(jobID: jobID, leaseToken: token, error: "the server refused the result: \(reason)")
            state.unsent.append(jobID)
            state.flush?.yield()
            return true
        }
    }

    /// The server answered a report (ack or refusal): it is settled.
    func settled(_ jobID: String) {
        _ = self.state.withLock { $0.unacknowledged.removeValue(forKey: jobID) }
    }

    /// The server cancelled a job: stop it, and report nothing about it.
    func cancel(_ jobID: String) {
        let task = self.state.withLock { state -> Task<Void, Never>? in
            state.unacknowledged.removeValue(forKey: jobID)
            state.unsent.removeAll { $0 == jobID }
            guard let entry = state.running[jobID] else { return nil }
            guard let task = entry.task else {
                state.running[jobID]?.cancelled = true
                return nil
            }
            state.running.removeValue(forKey: jobID)
            return task
        }
        task?.cancel()
    }

    func cancelAll() {
        let tasks = self.state.withLock { state in
            defer { state.running.removeAll() }
            return state.running.values.compactMap(\.task)
        }
        for task in tasks { task.cancel() }
    }

    /// A connection said hello: every report still unacknowledged goes out on it (again). Its sender
    /// waits on the returned signals.
    func connected(_ outbound: WebSocketOutboundWriter) -> AsyncStream<Void> {
        let (signals, flush) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.state.withLock { state in
            state.outbound = outbound
            state.flush?.finish()
            state.flush = flush
            state.unsent = state.unacknowledged.keys.sorted()
            if !state.unsent.isEmpty { flush.yield() }
        }
        return signals
    }

    func disconnected() {
        self.state.withLock { state in
            state.outbound = nil
            state.flush?.finish()
            state.flush = nil
        }
    }

    /// Starts draining; returns the connection to tell, if any.
    func beginDrain() -> WebSocketOutboundWriter? {
        self.state.withLock { state in
            state.draining = true
            return state.outbound
        }
    }
}
