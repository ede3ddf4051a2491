/// One component's answer on `/health/detailed`.
public struct ComponentHealth: Sendable, Codable, Equatable {
    /// How a component is doing.
    public enum Status: String, Sendable, Codable, Comparable {
        case ok
        case degraded
        case down

        private var rank: Int {
            switch self {
            case .ok: 0
            case .degraded: 1
            case .down: 2
            }
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    /// The component's status.
    public var status: Status
    /// A short explanation a person can act on.
    public var detail: String

    /// - Parameters:
    ///   - status: The status.
    ///   - detail: What it means here.
    public init(_ status: Status, _ detail: String) {
        self.status = status
        self.detail = detail
    }
}

/// A component that reports its health on `/health/detailed`.
public protocol HealthCheck: Sendable {
    /// The component's name, a key of the `components` object.
    var name: String { get }
    /// Checks the component. Must be quick: it runs on every request to the endpoint.
    func check() async -> ComponentHealth
    /// Whether the server is not ready while this component is down (`/readyz` answers 503): true
    /// for what every request needs, such as the store.
    var gatesReadiness: Bool { get }
}

extension HealthCheck {
    public var gatesReadiness: Bool { false }
}
