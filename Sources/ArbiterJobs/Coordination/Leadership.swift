import Synchronization

/// Whether this process runs the duties that one process of a deployment runs for all of them: the
/// job clock's expiries (leases, silent workers, consents) and the queueing of due jobs on its tick.
///
/// Alone (one process, the default) it always leads. In a cluster the leader election updates it; a
/// process that cannot tell whether it still leads stops leading at once.
public final class Leadership: Sendable {
    /// Who leads, as this process last learned it.
    public struct State: Sendable, Equatable {
        public var leads: Bool
        /// The leader's term: it grows with every change of leader.
        public var epoch: Int64?
        /// The leading replica's id, when known.
        public var leader: String?

        public init(leads: Bool, epoch: Int64?, leader: String?) {
            self.leads = leads
            self.epoch = epoch
            self.leader = leader
        }
    }

    private let state: Mutex<State>

    /// A process alone, which always leads.
    public static func alone() -> Leadership {
        Leadership(State(leads: true, epoch: nil, leader: nil))
    }

    /// A replica that follows until the election says otherwise.
    public static func follower() -> Leadership {
        Leadership(State(leads: false, epoch: nil, leader: nil))
    }

    private init(_ state: State) {
        self.state = Mutex(state)
    }

    /// Whether this process runs the singleton duties now.
    public var leads: Bool { self.state.withLock { $0.leads } }

    public var current: State { self.state.withLock { $0 } }

    /// Records what the election found.
    /// - Returns: The state before, when this changed whether this process leads.
    @discardableResult
    public func update(_ new: State) -> State? {
        self.state.withLock { state in
            defer { state = new }
            return state.leads != new.leads ? state : nil
        }
    }
}
