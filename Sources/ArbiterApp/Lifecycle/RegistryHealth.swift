import ArbiterHTTP
import ArbiterMetrics

/// The metrics registry on `/health/detailed`: how many families and series it holds.
struct RegistryHealth: HealthCheck {
    let registry: MetricRegistry
    var name: String { "metrics" }

    func check() async -> ComponentHealth {
        ComponentHealth(.ok, "\(self.registry.familyCount) families, \(self.registry.seriesCount) series")
    }
}
