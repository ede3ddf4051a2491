import ArbiterJobs
import Foundation
import HTTPTypes

/// One Alertmanager webhook notification (payload version 4), read as steering claims: each
/// firing alert labelled `arbiter_action` claims its action, each resolved one releases it.
/// Alerts without `arbiter_action` are left alone; one whose action labels are wrong is named.
struct AlertmanagerNotification {
    var firing: [SteeringBoard.Activation] = []
    var resolved: Set<SteeringBoard.Driver> = []
    /// Alerts that ask for no action.
    var ignored = 0
    /// Alerts whose `arbiter_*` labels cannot be obeyed: the field and the problem.
    var rejected: [(field: String, message: String)] = []

    /// - Throws: ``APIError`` 400 naming the field when the payload is not a notification.
    init(_ object: [String: Any]) throws {
        if let version = object["version"], version as? String != "4" {
            throw APIError(.badRequest, code: "unsupported_version", message: "version must be \"4\", Alertmanager's webhook payload", field: "version")
        }
        guard let alerts = object["alerts"] as? [Any] else {
            throw APIError(.badRequest, code: "missing_field", message: "alerts must be an array of alerts", field: "alerts")
        }
        for (index, item) in alerts.enumerated() {
            let field = "alerts[\(index)]"
            guard let alert = item as? [String: Any] else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field) must be an object", field: field)
            }
            guard let status = alert["status"] as? String, status == "firing" || status == "resolved" else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field).status must be \"firing\" or \"resolved\"", field: "\(field).status")
            }
            guard let labels = alert["labels"] as? [String: String] else {
                throw APIError(.badRequest, code: "invalid_field", message: "\(field).labels must be an object of strings", field: "\(field).labels")
            }
            let action: SteeringAction
            do {
                guard let parsed = try SteeringAction(alertLabels: labels) else {
                    self.ignored += 1
                    continue
                }
                action = parsed
            } catch {
                self.rejected.append(("\(field).labels.\(error.label)", "\(field): \(error.description)"))
                continue
            }
            let driver = SteeringBoard.Driver.external(
                (alert["fingerprint"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                    ?? labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            if status == "firing" {
                self.firing.append(SteeringBoard.Activation(action: action, driver: driver, alertName: labels["alertname"] ?? "", labels: labels))
            } else {
                self.resolved.insert(driver)
            }
        }
    }
}
