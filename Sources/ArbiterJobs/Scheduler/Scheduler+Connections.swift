import ArbiterCore
import Synchronization

/// The connections that speak for workers (see ``WorkerConnections``), the push target of each,
/// and the clean stops being recorded.
struct ConnectedWorkers: Sendable {
    var connections = WorkerConnections()
    /// Worker id → the session of the connection that speaks for it.
    var targets: [String: any PushTarget] = [:]
    /// Worker id → the recording of its clean stop, which a newer connection waits for.
    var stopping: [String: Task<Void, Never>] = [:]
}

extension Scheduler {
    /// A connection with a valid hello claims its worker, before the hello is recorded: from now
    /// on no older connection of the worker can end its registration. If the worker's previous
    /// connection is still recording its clean stop, this waits for it, so the stop never undoes
    /// the new registration.
    public func claim(workerID: String) async -> WorkerConnections.Connection {
        let (connection, stopping) = self.connected.withLock { state in
            (state.connections.claim(workerID: workerID), state.stopping[workerID])
        }
        await stopping?.value
        return connection
    }

    /// The claiming connection's session is ready: it speaks for its worker from now on, and takes
    /// jobs pushed from submissions. The session it replaces is superseded (it takes nothing more
    /// and closes its connection).
    /// - Returns: `false` when a newer connection claimed the worker first: close this one.
    public func attach(_ target: any PushTarget, as connection: WorkerConnections.Connection) async -> Bool {
        let (attached, replaced) = self.connected.withLock { state -> (Bool, (any PushTarget)?) in
            guard case .attached = state.connections.attach(connection) else { return (false, nil) }
            let replaced = state.targets[connection.workerID]
            state.targets[connection.workerID] = target
            return (true, replaced)
        }
        if let replaced, replaced !== target { await replaced.supersede() }
        return attached
    }

    /// Whether the connection speaks for its worker now (a newer one has not replaced it).
    public func speaks(_ connection: WorkerConnections.Connection) -> Bool {
        self.connected.withLock { $0.connections.speaks(connection) }
    }

    /// A connection ended. If it spoke for its worker and the worker had stopped (drained, holding
    /// nothing), the worker is forgotten at once: removed from the store with its pending notices,
    /// and told to the observer, with no offline event. Any other end leaves the worker to come
    /// back or to miss its heartbeats.
    /// - Parameters:
    ///   - target: The connection's session (`nil` if it ended before it had one).
    ///   - connection: Its claim.
    ///   - stopped: The worker had drained and held nothing when the connection ended.
    /// - Returns: What the end meant.
    @discardableResult
    public func detach(_ target: (any PushTarget)?, as connection: WorkerConnections.Connection, stopped: Bool) async -> WorkerConnections.Detach {
        let workerID = connection.workerID
        let (outcome, recording) = self.connected.withLock { state -> (WorkerConnections.Detach, Task<Void, Never>?) in
            let outcome = state.connections.detach(connection, stopped: stopped)
            if let target, state.targets[workerID] === target { state.targets[workerID] = nil }
            guard outcome == .stopped else { return (outcome, nil) }
            // Started inside the lock, so a connection that claims the worker after this sees it
            // and waits for it.
            let recording = Task { await self.forget(workerID: workerID) }
            state.stopping[workerID] = recording
            return (outcome, recording)
        }
        if let recording {
            await recording.value
            self.connected.withLock { state in
                if state.stopping[workerID] == recording { state.stopping[workerID] = nil }
            }
        }
        return outcome
    }

    /// A worker stopped: it is removed (any lease it still had ends) and its notices are dropped.
    private func forget(workerID: String) async {
        _ = self.cancelNotices.withLock { $0.removeValue(forKey: workerID) }
        // A worker an operator removed meanwhile is already gone; nothing else can fail here that
        // a later registration or the heartbeat timeout would not settle.
        _ = try? await self.workers.remove(workerID: workerID, now: WallClock.nowMilliseconds())
        self.observer.workerStopped(workerID)
    }
}
