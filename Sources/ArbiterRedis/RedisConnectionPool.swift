import Synchronization

/// The client's connections: at most ``RedisConfiguration/poolSize``, each lent to one command at a
/// time. A command borrows a slot (waiting up to ``RedisConfiguration/commandTimeout`` when all are
/// lent), then, on the thread it runs on, takes the slot's connection: the one it has if it is still
/// alive, else a new one. After a failed attempt to connect the next waits out a backoff, and commands
/// that need a connection meanwhile fail at once, so nothing queues behind a server that is down and
/// service resumes by itself once it is back.
final class RedisConnectionPool: Sendable {
    /// Room for one connection.
    // Safety (@unchecked Sendable): a slot is used by the one command that borrowed it; it passes
    // between commands only through the pool's mutex.
    final class Slot: @unchecked Sendable {
        var connection: RedisConnection?
        /// Whether this slot had a connection before (a new one then replaces it).
        var hadConnection = false
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Result<Slot, RedisError>, Never>
    }

    private struct State {
        /// Slots not lent; those holding a connection are taken first.
        var free: [Slot]
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
        var backoff: ReconnectBackoff
    }

    private let state: Mutex<State>
    private let configuration: RedisConfiguration
    private let observer: any RedisObserver

    init(configuration: RedisConfiguration, observer: any RedisObserver) {
        self.configuration = configuration
        self.observer = observer
        self.state = Mutex(State(free: (0..<max(configuration.poolSize, 1)).map { _ in Slot() }, backoff: ReconnectBackoff(configuration)))
    }

    static func closedError() -> RedisError {
        RedisError(kind: .closed, message: "the Redis client is closed")
    }

    // MARK: Lending

    /// Borrows a slot; give it back with ``release(_:)``.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/timeout`` when none is free within the
    ///   command timeout, or ``RedisError/Kind/closed``.
    func acquire() async throws(RedisError) -> Slot {
        enum Registration {
            case now(Result<Slot, RedisError>)
            case waiting(id: Int)
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Slot, RedisError>, Never>) in
            let registration: Registration = self.state.withLock { state in
                if state.closed { return .now(.failure(Self.closedError())) }
                if !state.free.isEmpty {
                    let index = state.free.lastIndex { $0.connection != nil } ?? state.free.count - 1
                    return .now(.success(state.free.remove(at: index)))
                }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return .waiting(id: id)
            }
            switch registration {
            case .now(let result):
                continuation.resume(returning: result)
            case .waiting(let id):
                let timeout = self.configuration.commandTimeout
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.timeOut(waiter: id)
                }
            }
        }
        return try result.get()
    }

    /// Gives a slot back: to the command waiting longest, else to the free list. A lost connection is
    /// dropped on the way, and every connection once the pool is closed.
    func release(_ slot: Slot) {
        if slot.connection?.isBroken == true { slot.connection = nil }
        let (waiter, closed): (Waiter?, Bool) = self.state.withLock { state in
            if !state.closed, !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
            state.free.append(slot)
            return (nil, state.closed)
        }
        // Given back after the pool closed, by a command that was finishing: nobody borrows it again.
        if closed { slot.connection = nil }
        waiter?.continuation.resume(returning: .success(slot))
    }

    // MARK: Connections

    /// The slot's connection, alive, on the calling thread (one that may block): the one it has, or a
    /// new one.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/connection`` when no connection can be made,
    ///   or one failed too recently to try again.
    func connection(for slot: Slot) throws(RedisError) -> RedisConnection {
        if let connection = slot.connection {
            if connection.stillAlive() { return connection }
            slot.connection = nil
        }
        let refusal: RedisError? = self.state.withLock { state in
            guard let remaining = state.backoff.remaining(at: .now) else { return nil }
            let reason = state.backoff.lastFailure?.message ?? "it could not be reached"
            return RedisError(kind: .connection, message: "Redis is unavailable: \(reason); the next attempt is in \(remaining)")
        }
        if let refusal { throw refusal }
        do throws(RedisError) {
            let connection = try RedisConnection.open(self.configuration)
            self.state.withLock { $0.backoff.succeeded() }
            self.observer.connected(replacing: slot.hadConnection)
            slot.connection = connection
            slot.hadConnection = true
            return connection
        } catch {
            self.state.withLock { _ = $0.backoff.failed(error, at: .now) }
            self.observer.connectFailed(error)
            throw error
        }
    }

    /// Closes the pool: waiting commands fail, and the connections of free slots are closed (those
    /// lent are closed as they come back).
    func close() {
        let (waiters, free) = self.state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return (state.waiters, state.free)
        }
        for waiter in waiters { waiter.continuation.resume(returning: .failure(Self.closedError())) }
        for slot in free { slot.connection = nil }
    }

    /// Fails a waiter still waiting when its time is up.
    private func timeOut(waiter id: Int) {
        let waiter: Waiter? = self.state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(
            returning: .failure(
                RedisError(
                    kind: .timeout,
                    message: "all \(max(self.configuration.poolSize, 1)) connections to \(self.configuration.redacted) stayed busy for \(self.configuration.commandTimeout)"
                )))
    }
}
