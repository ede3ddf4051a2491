import Synchronization

/// Which job types are known to have nothing leasable queued: a lease that found fewer jobs than it
/// asked for marks its types, and anything that may queue work clears the marks
/// (``Coordination/announceWork()``). The dispatch loops wake whenever a slot frees; with this they
/// skip the store for types whose queue they just found empty, instead of running an empty lease
/// transaction per freed slot (two per job at a steady load with two workers).
///
/// A mark lasts at most ``horizon``, so a path that queues work without announcing it delays that
/// work by at most that long, never strands it.
public final class QueueHint: Sendable {
    /// How long a mark is trusted (ms).
    public static let horizon: Int64 = 1000

    private struct State {
        var generation: UInt64 = 0
        /// Type → when it was found empty (monotonic ms).
        var empty: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Changes whenever the marks are cleared: a lease marks its types only if no clear came in between.
    public var generation: UInt64 { self.state.withLock { $0.generation } }

    /// Work may have been queued, for any type.
    public func clear() {
        self.state.withLock { state in
            state.generation &+= 1
            if !state.empty.isEmpty { state.empty.removeAll(keepingCapacity: true) }
        }
    }

    /// The types among `types` that may have something queued.
    public func mayHaveWork(_ types: [String], now: Int64) -> [String] {
        self.state.withLock { state in
            guard !state.empty.isEmpty else { return types }
            return types.filter { type in state.empty[type].map { now - $0 >= Self.horizon } ?? true }
        }
    }

    /// A lease found nothing more of `types` (leaving out types it was held back from by a quota).
    public func markEmpty(_ types: [String], since generation: UInt64, now: Int64) {
        guard !types.isEmpty else { return }
        self.state.withLock { state in
            guard state.generation == generation else { return }
            for type in types { state.empty[type] = now }
        }
    }
}
