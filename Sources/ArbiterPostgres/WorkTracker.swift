import ArbiterJobs
import Synchronization

/// Counts the operations under way, so closing can refuse new ones and wait for those already
/// submitted to finish.
final class WorkTracker: Sendable {
    private struct State {
        var running = 0
        var closed = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Counts an operation in.
    /// - Throws: ``StoreUnavailable`` once closing began.
    func enter() throws {
        let accepted = self.state.withLock { state in
            guard !state.closed else { return false }
            state.running += 1
            return true
        }
        guard accepted else { throw StoreUnavailable("the PostgreSQL store is closed") }
    }

    /// Counts an operation out.
    func leave() {
        let waiters = self.state.withLock { state in
            state.running -= 1
            guard state.closed, state.running == 0 else { return [CheckedContinuation<Void, Never>]() }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Refuses new operations and returns once those under way have finished.
    func closeAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let finished = self.state.withLock { state in
                state.closed = true
                if state.running == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if finished { continuation.resume() }
        }
    }
}
