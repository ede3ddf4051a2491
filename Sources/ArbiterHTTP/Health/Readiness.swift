import Synchronization

/// Whether the server should receive traffic: `/readyz` answers 503 until startup has finished and
/// again from the moment shutdown begins.
public final class Readiness: Sendable {
    /// Where the process is in its life.
    public enum Phase: UInt8, Sendable {
        case starting
        case ready
        case stopping
    }

    private let phase = Atomic<UInt8>(Phase.starting.rawValue)

    public init() {}

    /// The current phase.
    public var current: Phase { Phase(rawValue: self.phase.load(ordering: .acquiring)) ?? .stopping }

    /// Marks startup finished; ignored once shutdown has begun.
    public func markReady() {
        _ = self.phase.compareExchange(expected: Phase.starting.rawValue, desired: Phase.ready.rawValue, ordering: .acquiringAndReleasing)
    }

    /// Marks shutdown begun; final.
    public func markStopping() {
        self.phase.store(Phase.stopping.rawValue, ordering: .releasing)
    }
}
