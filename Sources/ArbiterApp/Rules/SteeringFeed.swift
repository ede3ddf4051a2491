import ArbiterJobs
import ArbiterMetrics
import ArbiterRules
import ArbiterTSDB
import Logging

/// Turns the firing alerts of the rules in force into scheduler actions (their `arbiter_action`
/// labels) on the shared ``SteeringState``, logging and counting every change:
/// `arbiter_scheduler_actions_total{action,transition}` and
/// `arbiter_scheduler_action_active{action,target}`.
struct SteeringFeed: Sendable {
    let state: SteeringState
    let changes: CounterFamily
    let active: GaugeFamily
    let logger: Logger

    init(state: SteeringState, registry: MetricRegistry, logger: Logger) throws {
        self.state = state
        self.logger = logger
        self.changes = try registry.counterFamily(
            "arbiter_scheduler_actions_total", help: "Scheduler actions activated and released, and circuit-breaker transitions.",
            labelNames: ["action", "transition"])
        self.active = try registry.gaugeFamily(
            "arbiter_scheduler_action_active", help: "1 while an action holds its target.", labelNames: ["action", "target"])
    }

    func update(from groups: [RuleGroup], at time: Int64) {
        var activations: [SteeringBoard.Activation] = []
        for group in groups {
            for rule in group.rules {
                for alert in rule.alerts.alerts.values where alert.state == .firing {
                    let labels = Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) })
                    do {
                        guard let action = try SteeringAction(alertLabels: labels) else { continue }
                        activations.append(SteeringBoard.Activation(
                            action: action, driver: .rule(alert.labels.description), alertName: rule.definition.name, value: alert.value))
                    } catch {
                        self.logger.warning("alert asks for an action that cannot be taken", metadata: ["alert": "\(alert.labels)", "error": "\(error)"])
                    }
                }
            }
        }
        for change in self.state.update(activations, external: false, at: time) {
            switch change {
            case .activated(let key):
                self.logger.notice("scheduler action activated", metadata: ["action": "\(key.kind.rawValue)", "target": "\(key.target)"])
                try? self.changes.labels([key.kind.rawValue, "activated"]).increment()
                try? self.active.labels([key.kind.rawValue, "\(key.target)"]).set(1)
            case .released(let key):
                self.logger.notice("scheduler action released", metadata: ["action": "\(key.kind.rawValue)", "target": "\(key.target)"])
                try? self.changes.labels([key.kind.rawValue, "released"]).increment()
                try? self.active.labels([key.kind.rawValue, "\(key.target)"]).set(0)
            case .breaker(let type, let transition):
                self.logger.notice("circuit breaker \(transition.rawValue)", metadata: ["job_type": "\(type)"])
                try? self.changes.labels(["pause", transition.rawValue]).increment()
            }
        }
    }
}
