import ArbiterCore
import ArbiterJobs
import ArbiterRules
import ArbiterTSDB
import Logging
import Synchronization

/// Turns the firing alerts of the rules in force into scheduler actions (their `arbiter_action`
/// labels) on the shared ``SteeringState``, after every group evaluation. Changes are stamped with
/// the wall clock when they take effect, in the board's lock (not the evaluation's timestamp), so
/// the audit log orders them right against the leases they stop.
///
/// In a cluster only the leader's rules steer: it puts its activations in force and the other
/// replicas mirror them (``SteeringState/lead(_:at:)``). A replica that does not lead evaluates the
/// same rules on the same samples, so that when it takes over its alerts are already firing. An
/// alert still pending here whose action is in force (the previous leader's alert fired first, or
/// the rules were reloaded) keeps it: its `for` has already run out in the cluster, as Prometheus
/// restores an alert's `for` state on restart rather than releasing and firing again.
final class SteeringFeed: Sendable {
    let state: SteeringState
    let leadership: Leadership
    let logger: Logger
    /// Firing alerts whose action labels are wrong, warned about once while they fire.
    private let invalid = Mutex<Set<String>>([])

    init(state: SteeringState, leadership: Leadership = .alone(), logger: Logger) {
        self.state = state
        self.leadership = leadership
        self.logger = logger
    }

    func update(from groups: [RuleGroup]) {
        guard self.leadership.leads else { return }
        let held = self.state.board.ruleDrivers
        var activations: [SteeringBoard.Activation] = []
        var invalid: [String: String] = [:]
        for group in groups {
            for rule in group.rules {
                for alert in rule.alerts.alerts.values
                where alert.state == .firing || (alert.state == .pending && held.contains(.rule(alert.labels.description))) {
                    let labels = Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) })
                    do {
                        guard let action = try SteeringAction(alertLabels: labels) else { continue }
                        activations.append(SteeringBoard.Activation(
                            action: action, driver: .rule(alert.labels.description), alertName: rule.definition.name, labels: labels,
                            value: alert.value))
                    } catch {
                        invalid[alert.labels.description] = error.description
                    }
                }
            }
        }
        let new = self.invalid.withLock { warned in
            defer { warned = Set(invalid.keys) }
            return invalid.filter { !warned.contains($0.key) }
        }
        for (alert, error) in new.sorted(by: { $0.key < $1.key }) {
            self.logger.warning("alert asks for an action that cannot be taken", metadata: ["alert": "\(alert)", "error": "\(error)"])
        }
        self.state.lead(activations)
    }
}
