import Synchronization

/// The timeouts of every running job on one timer: a sleeping task that wakes at the earliest
/// deadline, instead of a task group and a timer task per job (three tasks and a timer each, most of
/// what a worker spent per job beside its handler).
final class TimeoutWatch: Sendable {
    private struct State {
        var deadlines: [String: (deadline: ContinuousClock.Instant, expire: @Sendable () -> Void)] = [:]
        /// The sleeper, and when it wakes.
        var sleeper: Task<Void, Never>?
        var wakesAt: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// Calls `expire` at `deadline` unless `unwatch(id)` comes first.
    func watch(_ id: String, until deadline: ContinuousClock.Instant, expire: @escaping @Sendable () -> Void) {
        self.state.withLock { state in
            state.deadlines[id] = (deadline, expire)
            if state.wakesAt.map({ deadline < $0 }) ?? true { self.arm(&state, at: deadline) }
        }
    }

    func unwatch(_ id: String) {
        // The sleeper stays: at worst it wakes once for nothing and sleeps again.
        _ = self.state.withLock { $0.deadlines.removeValue(forKey: id) }
    }

    /// Stops the sleeper (the worker is gone).
    func stop() {
        self.state.withLock { state in
            state.sleeper?.cancel()
            state.sleeper = nil
            state.wakesAt = nil
            state.deadlines = [:]
        }
    }

    private func arm(_ state: inout State, at instant: ContinuousClock.Instant) {
        state.sleeper?.cancel()
        state.wakesAt = instant
        state.sleeper = Task { [weak self] in
            do {
                try await Task.sleep(until: instant, clock: .continuous)
            } catch {
                return  // re-armed for an earlier deadline, or stopped
            }
            self?.fireDue()
        }
    }

    private func fireDue() {
        let now = ContinuousClock.now
        let due = self.state.withLock { state -> [@Sendable () -> Void] in
            let expired = state.deadlines.filter { $0.value.deadline <= now }
            for id in expired.keys { state.deadlines[id] = nil }
            state.sleeper = nil
            state.wakesAt = nil
            if let next = state.deadlines.values.map(\.deadline).min() { self.arm(&state, at: next) }
            return expired.values.map(\.expire)
        }
        for expire in due { expire() }
    }
}

/// A job's task, for the watch to cancel: one cancelled before it is set is cancelled when it is.
final class TaskSlot: Sendable {
    private let state = Mutex<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    func set(_ task: Task<Void, Never>) {
        let cancelled = self.state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        let task = self.state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}
