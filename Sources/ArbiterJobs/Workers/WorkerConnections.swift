/// Which connection speaks for each worker id: one at a time, the newest.
///
/// A connection first *claims* the worker (once its hello is valid, before the hello is recorded),
/// then *attaches* (once its session is ready), and *detaches* when it ends. The newest claim wins:
/// attaching replaces the connection attached before (which the server closes), and a connection
/// that a newer one claimed over before it attached is superseded at once. Only the connection
/// that speaks for the worker when it ends decides what its end means: a worker that drained and
/// holds nothing has stopped (it is forgotten at once, with no offline event); any other end is a
/// disconnect, left to the worker's heartbeat timeout.
public struct WorkerConnections: Sendable, Equatable {
    /// One connection's claim on a worker id.
    public struct Connection: Sendable, Hashable, CustomStringConvertible {
        public let workerID: String
        /// Grows with every claim, across all workers.
        public let number: UInt64

        public var description: String { "\(self.workerID)#\(self.number)" }
    }

    /// What attaching did.
    public enum Attach: Sendable, Equatable {
        /// The connection speaks for the worker now; the one it replaced (if any) must be closed.
        case attached(replacing: Connection?)
        /// A newer connection claimed the worker first: close this one.
        case superseded
    }

    /// What a connection's end means for its worker.
    public enum Detach: Sendable, Equatable {
        /// Nothing: the connection did not speak for the worker (replaced, or never attached).
        case nothing
        /// The worker's connection dropped: it keeps its registration and leases until it comes
        /// back or misses its heartbeats.
        case disconnected
        /// The worker drained, holds nothing, and closed: it is gone.
        case stopped
    }

    /// The newest claim per worker id.
    private var latest: [String: UInt64] = [:]
    /// The connection that speaks for each worker id.
    private var attached: [String: UInt64] = [:]
    private var claims: UInt64 = 0

    public init() {}

    /// A connection (with a valid hello) claims the worker: from now on no older connection of the
    /// worker can end its registration.
    public mutating func claim(workerID: String) -> Connection {
        self.claims &+= 1
        self.latest[workerID] = self.claims
        return Connection(workerID: workerID, number: self.claims)
    }

    /// The claiming connection is ready to speak for its worker.
    public mutating func attach(_ connection: Connection) -> Attach {
        guard self.latest[connection.workerID] == connection.number else { return .superseded }
        let previous = self.attached[connection.workerID]
        self.attached[connection.workerID] = connection.number
        return .attached(replacing: previous.map { Connection(workerID: connection.workerID, number: $0) })
    }

    /// A connection ended (whether or not it attached).
    /// - Parameter stopped: The worker had drained and held nothing when it ended.
    public mutating func detach(_ connection: Connection, stopped: Bool) -> Detach {
        let id = connection.workerID
        let spoke = self.attached[id] == connection.number && self.latest[id] == connection.number
        if self.attached[id] == connection.number { self.attached[id] = nil }
        // A claim that ends without attaching hands the worker back to the connection still
        // attached, so that one's end is still read for what it is.
        if self.latest[id] == connection.number { self.latest[id] = self.attached[id] }
        guard spoke else { return .nothing }
        return stopped ? .stopped : .disconnected
    }

    /// The connection that speaks for the worker now, if one does.
    public func current(workerID: String) -> Connection? {
        self.attached[workerID].map { Connection(workerID: workerID, number: $0) }
    }

    /// Whether the connection speaks for its worker now.
    public func speaks(_ connection: Connection) -> Bool {
        self.attached[connection.workerID] == connection.number && self.latest[connection.workerID] == connection.number
    }
}
