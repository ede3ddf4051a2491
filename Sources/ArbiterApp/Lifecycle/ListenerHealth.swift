import ArbiterHTTP
import Synchronization

/// The HTTP listener on `/health/detailed`: the address it is bound to.
final class ListenerHealth: HealthCheck {
    private let bound = Mutex<String?>(nil)
    var name: String { "http" }

    func markBound(_ address: String) {
        self.bound.withLock { $0 = address }
    }

    /// Whether the listener was ever bound.
    var isBound: Bool { self.bound.withLock { $0 != nil } }

    /// The address it is bound to, once it is.
    var address: String? { self.bound.withLock { $0 } }

    func check() async -> ComponentHealth {
        if let address = self.bound.withLock({ $0 }) {
            return ComponentHealth(.ok, "listening on \(address)")
        }
        return ComponentHealth(.degraded, "not listening yet")
    }
}
