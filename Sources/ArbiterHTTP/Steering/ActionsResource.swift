import ArbiterCore
import ArbiterJobs
import ArbiterPromQL
import Foundation

/// The JSON of `GET /api/v1/actions`: every action in force with its causes, and every breaker.
enum ActionsResource {
    static func object(_ board: SteeringBoard) -> [String: Any] {
        ["actions": board.active.map(Self.action), "breakers": board.breakers.sorted { $0.key < $1.key }.map(Self.breaker)]
    }

    private static func action(_ active: SteeringBoard.Active) -> [String: Any] {
        var object: [String: Any] = [
            "action": active.key.kind.rawValue, "target": "\(active.key.target)", "since": RFC3339.format(milliseconds: active.since),
            "causes": active.activations.map { activation -> [String: Any] in
                var cause: [String: Any] = [
                    "driver": activation.driver.isExternal ? "alertmanager" : "rule", "alert": activation.alertName, "labels": activation.labels,
                ]
                cause["value"] = activation.value.map(ValueFormat.exponent) ?? NSNull()
                return cause
            },
        ]
        switch active.key.target {
        case .jobType(let type): object["job_type"] = type
        case .worker(let id): object["worker_id"] = id
        case .everyType: break
        }
        if active.key.kind == .throttle { object["rate"] = active.rate.map { "\($0)" } ?? NSNull() }
        if active.key.kind == .pause { object["probe"] = active.probe }
        object["silenced_until"] = active.silencedUntil.map { RFC3339.format(milliseconds: $0) } ?? NSNull()
        return object
    }

    private static func breaker(_ type: String, _ breaker: CircuitBreaker) -> [String: Any] {
        var object: [String: Any] = ["job_type": type, "state": breaker.effectiveState.name, "probe_size": breaker.probeSize]
        if case .halfOpen(let admitted, let succeeded) = breaker.effectiveState {
            object["probes_admitted"] = admitted
            object["probes_succeeded"] = succeeded
        }
        switch breaker.override {
        case .forceOpen(let until), .forceClose(let until):
            object["override"] = breaker.effectiveState == .open ? "open" : "closed"
            object["override_until"] = until.map { RFC3339.format(milliseconds: $0) } ?? NSNull()
        case nil:
            object["override"] = NSNull()
        }
        return object
    }
}
