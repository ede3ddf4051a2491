import Synchronization

/// The ``SteeringBoard`` shared by the rule manager (which feeds it) and the API and scheduler
/// (which obey it).
public final class SteeringState: Sendable {
    private let board = Mutex(SteeringBoard())

    public init() {}

    /// See ``SteeringBoard/update(_:external:at:)``.
    public func update(_ activations: [SteeringBoard.Activation], external: Bool, at time: Int64) -> [SteeringBoard.Change] {
        self.board.withLock { $0.update(activations, external: external, at: time) }
    }

    /// The `shed` action holding the job type (or every type), if one does.
    public func shedding(jobType: String) -> SteeringBoard.Active? {
        // On every submission: two lookups, nothing built unless a shed holds.
        self.board.withLock { board in
            board.active(SteeringBoard.Key(kind: .shed, target: .jobType(jobType))) ?? board.active(SteeringBoard.Key(kind: .shed, target: .everyType))
        }
    }

    public var active: [SteeringBoard.Active] { self.board.withLock { $0.active } }
}
