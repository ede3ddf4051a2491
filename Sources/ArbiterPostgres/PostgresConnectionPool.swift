import ArbiterJobs
import Synchronization

/// The store's connections: at most ``PostgresConfiguration/poolSize``, each lent to one operation at
/// a time. An operation borrows a slot (waiting up to ``PostgresConfiguration/acquireTimeout`` when all
/// are lent), then, on the thread it runs on, takes the slot's connection: the one it has if it is still
/// alive, else a new one. A lost connection is replaced the next time its slot is used; after a failed
/// attempt the next waits out a backoff, and operations that need a connection meanwhile fail at once
/// with ``StoreUnavailable``, so nothing queues behind a database that is down and service resumes by
/// itself once it is back.
final class PostgresConnectionPool: Sendable {
    /// Room for one connection.
    // Safety (@unchecked Sendable): a slot is used by the one operation that borrowed it; it passes
    // between operations only through the pool's mutex.
    final class Slot: @unchecked Sendable {
        var connection: PostgresConnection?
        /// Whether this slot had a connection before (a new one then replaces it).
        var hadConnection = false
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Slot, any Error>
    }

    private struct State {
        /// Slots not lent; those holding a connection are taken first.
        var free: [Slot]
        var lent = 0
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastFailure: PostgresError?
    }

    private let state: Mutex<State>
    let configuration: PostgresConfiguration
    private let observer: any PostgresObserver

    init(configuration: PostgresConfiguration, observer: any PostgresObserver) {
        self.configuration = configuration
        self.observer = observer
        self.state = Mutex(State(free: (0..<max(configuration.poolSize, 1)).map { _ in Slot() }))
    }

    // MARK: Lending

    /// Borrows a slot; give it back with ``release(_:)``.
    /// - Throws: ``StoreUnavailable`` when none is free within the acquire timeout, or the pool is closed.
    func acquire() async throws -> Slot {
        let started = ContinuousClock.now
        enum Registration {
            case now(Result<Slot, any Error>)
            case waiting(id: Int)
        }
        let slot: Slot = try await withCheckedThrowingContinuation { continuation in
            let registration: Registration = self.state.withLock { state in
                if state.closed { return .now(.failure(Self.closedError)) }
                if let slot = Self.takeFree(&state) { return .now(.success(slot)) }
                let id = state.nextWaiterID
                state.nextWaiterID += 1
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return .waiting(id: id)
            }
            switch registration {
            case .now(let result):
                continuation.resume(with: result)
            case .waiting(let id):
                self.reportPool()
                let timeout = self.configuration.acquireTimeout
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.timeOut(waiter: id)
                }
            }
        }
        self.observer.acquired(after: ContinuousClock.now - started)
        self.reportPool()
        return slot
    }

    /// Gives a slot back: to the operation waiting longest, else to the free list. A lost connection is
    /// dropped on the way.
    func release(_ slot: Slot) {
        // A lost connection goes before anyone else can borrow the slot.
        let broken = slot.connection?.isBroken == true
        if broken { slot.connection = nil }
        let (waiter, closed): (Waiter?, Bool) = self.state.withLock { state in
            if broken { state.open -= 1 }
            if !state.closed, !state.waiters.isEmpty { return (state.waiters.removeFirst(), false) }
            state.lent -= 1
            state.free.append(slot)
            return (nil, state.closed)
        }
        // Given back after the pool closed (by an operation that was finishing): nobody borrows it any
        // more, so its connection is closed here.
        if closed, slot.connection != nil {
            slot.connection = nil
            self.state.withLock { $0.open -= 1 }
        }
        waiter?.continuation.resume(returning: slot)
        self.reportPool()
    }

    // MARK: Connections

    /// The slot's connection, alive, on the calling thread (one that may block): the one it has, or a new one.
    /// - Parameter isCancelled: Asked while connecting; `true` gives up.
    /// - Returns: The connection, and whether it was just opened.
    /// - Throws: ``StoreUnavailable`` when no connection can be made, or one failed too recently to try again.
    func connection(for slot: Slot, isCancelled: () -> Bool = { false }) throws -> (connection: PostgresConnection, fresh: Bool) {
        if let connection = slot.connection {
            if connection.stillAlive() { return (connection, false) }
            slot.connection = nil
            self.state.withLock { $0.open -= 1 }
        }
        let refusal: StoreUnavailable? = self.state.withLock { state in
            guard let retryAt = state.retryAt, ContinuousClock.now < retryAt else { return nil }
            let reason = state.lastFailure.map { "\($0)" } ?? "it could not be reached"
            return StoreUnavailable("PostgreSQL is unavailable: \(reason); the next attempt is in \(retryAt - ContinuousClock.now)")
        }
        if let refusal { throw refusal }
        do throws(PostgresError) {
            let connection = try PostgresConnection(self.configuration, isCancelled: isCancelled)
            self.state.withLock { state in
                state.open += 1
                state.failures = 0
                state.retryAt = nil
                state.lastFailure = nil
            }
            self.observer.connected(replacing: slot.hadConnection)
            slot.connection = connection
            slot.hadConnection = true
            self.reportPool()
            return (connection, true)
        } catch {
            self.state.withLock { state in
                state.failures += 1
                state.lastFailure = error
                state.retryAt = ContinuousClock.now + Self.backoff(failures: state.failures, self.configuration)
            }
            self.observer.connectFailed(error)
            throw StoreUnavailable("PostgreSQL is unavailable: \(error)")
        }
    }

    /// Closes the pool: waiting operations fail, and the connections of free slots are closed. Call it on
    /// a thread that may block, once no operation holds a slot.
    func close() {
        let (waiters, free) = self.state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return (state.waiters, state.free)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError) }
        let closing = free.filter { $0.connection != nil }
        for slot in closing { slot.connection = nil }
        self.state.withLock { $0.open -= closing.count }
        self.reportPool()
    }

    // MARK: Helpers

    private static let closedError = StoreUnavailable("the PostgreSQL store is closed")

    private static func takeFree(_ state: inout State) -> Slot? {
        guard !state.free.isEmpty else { return nil }
        let index = state.free.lastIndex { $0.connection != nil } ?? state.free.count - 1
        state.lent += 1
        return state.free.remove(at: index)
    }

    /// Fails a waiter still waiting when its time is up.
    private func timeOut(waiter id: Int) {
        let waiter: Waiter? = self.state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.continuation.resume(
            throwing: StoreUnavailable(
                "all \(self.configuration.poolSize) PostgreSQL connections stayed busy for \(self.configuration.acquireTimeout)"))
        self.reportPool()
    }

    /// The wait after `failures` failed attempts in a row: the first delay, doubled each time, capped.
    static func backoff(failures: Int, _ configuration: PostgresConfiguration) -> Duration {
        let doublings = min(max(failures - 1, 0), 20)
        return min(configuration.reconnectDelay * (1 << doublings), configuration.maxReconnectDelay)
    }

    private func reportPool() {
        let (lent, open, waiting) = self.state.withLock { ($0.lent, $0.open, $0.waiters.count) }
        self.observer.poolChanged(inUse: lent, open: open, waiting: waiting)
    }
}
