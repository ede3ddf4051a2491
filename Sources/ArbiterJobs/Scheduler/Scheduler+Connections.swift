import ArbiterCore

extension Scheduler {
    /// A connection with a valid hello claims its worker, before the hello is recorded: from now
    /// on no older connection of the worker can end its registration. If the worker's previous
    /// connection is still recording its clean stop, this waits for it, so the stop never undoes
    /// the new registration.
    public func claim(workerID: String) async -> WorkerConnections.Connection {
        await self.coordination.claim(workerID: workerID)
    }

    /// The claiming connection's session is ready: it speaks for its worker from now on, and takes
    /// jobs pushed from submissions. The session it replaces is superseded (it takes nothing more
    /// and closes its connection).
    /// - Returns: `false` when a newer connection claimed the worker first: close this one.
    public func attach(_ target: any PushTarget, as connection: WorkerConnections.Connection) async -> Bool {
        await self.coordination.attach(target, as: connection)
    }

    /// Whether the connection speaks for its worker now (a newer one has not replaced it).
    public func speaks(_ connection: WorkerConnections.Connection) -> Bool {
        self.coordination.speaks(connection)
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
        return await self.coordination.detach(target, as: connection, stopped: stopped) {
            await self.forget(workerID: workerID)
        }
    }

    /// A worker stopped: it is removed (any lease it still had ends) and its notices are dropped.
    private func forget(workerID: String) async {
        self.coordination.dropCancelNotices(workerIDs: [workerID])
        // A worker an operator removed meanwhile is already gone; nothing else can fail here that
        // a later registration or the heartbeat timeout would not settle.
        _ = try? await self.workers.remove(workerID: workerID, now: self.clock.nowMilliseconds())
        self.observer.workerStopped(workerID)
    }
}
