import ArbiterCore
import ArbiterRules
import ArbiterTSDB
import Foundation

/// `<data-dir>/alerts-state.json`: the pending and firing alerts of every rule, by the rule's
/// fingerprint, so `for` resumes after a restart. Written atomically (temporary file, then rename).
struct AlertStateFile: Sendable {
    let path: String

    struct Snapshot {
        var savedAt: Int64
        var alerts: [String: [Alert]]
    }

    func save(_ groups: [RuleGroup], at time: Int64) throws {
        var rules: [[String: Any]] = []
        for group in groups {
            for rule in group.rules {
                let active = rule.alerts.alerts.values.filter { $0.state != .inactive }
                guard !active.isEmpty else { continue }
                rules.append([
                    "fingerprint": rule.definition.fingerprint,
                    "alerts": active.map { alert -> [String: Any] in
                        var object: [String: Any] = [
                            "labels": Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) }),
                            "annotations": alert.annotations, "state": alert.state.rawValue, "active_at": alert.activeAt, "value": alert.value.isFinite ? alert.value : 0,
                        ]
                        if let firedAt = alert.firedAt { object["fired_at"] = firedAt }
                        return object
                    },
                ])
            }
        }
        let data = try JSONSerialization.data(withJSONObject: ["saved_at": time, "rules": rules], options: [.sortedKeys])
        let temporary = self.path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, self.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func load() -> Snapshot? {
        guard let data = FileManager.default.contents(atPath: self.path),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let savedAt = (object["saved_at"] as? NSNumber)?.int64Value, let rules = object["rules"] as? [[String: Any]]
        else { return nil }
        var alerts: [String: [Alert]] = [:]
        for rule in rules {
            guard let fingerprint = rule["fingerprint"] as? String, let list = rule["alerts"] as? [[String: Any]] else { continue }
            alerts[fingerprint] = list.compactMap { entry in
                guard let labels = entry["labels"] as? [String: String], let state = (entry["state"] as? String).flatMap(AlertState.init),
                    let activeAt = (entry["active_at"] as? NSNumber)?.int64Value
                else { return nil }
                var alert = Alert(
                    labels: Labels(labels), annotations: entry["annotations"] as? [String: String] ?? [:],
                    value: (entry["value"] as? NSNumber)?.doubleValue ?? 0, activeAt: activeAt)
                alert.state = state
                alert.firedAt = (entry["fired_at"] as? NSNumber)?.int64Value
                return alert
            }
        }
        return Snapshot(savedAt: savedAt, alerts: alerts)
    }
}
