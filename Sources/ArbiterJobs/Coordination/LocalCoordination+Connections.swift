import Synchronization

extension LocalCoordination {
    public func claim(workerID: String) async -> WorkerConnections.Connection {
        let (connection, stopping) = self.connected.withLock { state in
            (state.connections.claim(workerID: workerID), state.stopping[workerID])
        }
        await stopping?.value
        return connection
    }

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

    public func speaks(_ connection: WorkerConnections.Connection) -> Bool {
        self.connected.withLock { $0.connections.speaks(connection) }
    }

    public func detach(
        _ target: (any PushTarget)?, as connection: WorkerConnections.Connection, stopped: Bool,
        recordStop: @escaping @Sendable () async -> Void
    ) async -> WorkerConnections.Detach {
        let workerID = connection.workerID
        let (outcome, recording) = self.connected.withLock { state -> (WorkerConnections.Detach, Task<Void, Never>?) in
            let outcome = state.connections.detach(connection, stopped: stopped)
            if let target, state.targets[workerID] === target { state.targets[workerID] = nil }
            guard outcome == .stopped else { return (outcome, nil) }
            // Started inside the lock, so a connection that claims the worker after this sees it
            // and waits for it.
            let recording = Task { await recordStop() }
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

    public func pushTargets() -> [any PushTarget] {
        self.connected.withLock { Array($0.targets.values) }
    }

    public func pushTarget(workerID: String) -> (any PushTarget)? {
        self.connected.withLock { $0.targets[workerID] }
    }
}
