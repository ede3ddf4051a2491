import ArbiterCore
import Synchronization

/// Wakes dispatch loops when there may be work for them: a job became eligible, a slot or a
/// concurrency permit was freed, a type was resumed, or a cancellation is waiting to be delivered.
///
/// A waiter passes the generation it last saw; a signal that came in between is never missed.
public final class WakeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())
    /// What a wait's timeout is measured on.
    private let clock: any TimeSource

    /// - Parameter clock: What a wait's timeout is measured on.
    public init(clock: any TimeSource = SystemClock()) {
        self.clock = clock
    }

    /// The current generation; pass it to ``wait(after:timeout:)``.
    public var generation: UInt64 {
        self.state.withLock { $0.generation }
    }

    /// Wakes every waiter.
    public func signal() {
        let waiters = self.state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll(keepingCapacity: true) }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the first signal after `generation`, at once if one came already, after `timeout`,
    /// or when the task is cancelled.
    public func wait(after generation: UInt64, timeout: Duration) async {
        let id = self.state.withLock { state -> Int in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            guard state.generation == generation, !Task.isCancelled else { return true }
                            state.waiters[id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.resume(id)
                }
            }
            group.addTask {
                try? await self.clock.sleep(for: timeout)
                self.resume(id)
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func resume(_ id: Int) {
        let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
