import ArbiterCore
import ArbiterJobs
import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB
import Foundation
import Hummingbird

/// `/api/v1/rules` and `/api/v1/alerts` as Prometheus answers them, and `POST /-/reload`.
struct RulesEndpoints: Sendable {
    let rules: any RuleSource
    let audit: any AuditStore

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/api/v1/rules") { request, _ in
            try await PrometheusAPI.handle { try self.listRules(request.uri.queryParameters.get("type")) }
        }
        router.get("/api/v1/alerts") { _, _ in
            PrometheusAPI.success(["alerts": self.rules.currentGroups.flatMap { group in group.rules.flatMap { Self.alerts($0) } }])
        }
        router.post("/-/reload") { _, _ in try await self.reload() }
    }

    private func listRules(_ type: String?) throws -> Response {
        let wanted: String?
        switch type {
        case nil, "": wanted = nil
        case "alert": wanted = "alerting"
        case "record": wanted = "recording"
        default: throw PrometheusAPI.Failure.parameter("type", "unsupported type \"\(type!)\", expected alert or record")
        }
        let groups = self.rules.currentGroups.map { group -> [String: Any] in
            let rules = group.rules.map(Self.rule).filter { wanted == nil || ($0["type"] as? String) == wanted }
            return [
                "name": group.name, "file": group.file, "rules": rules, "interval": Double(group.interval) / 1000, "limit": group.definition.limit,
                "evaluationTime": group.lastDurationSeconds, "lastEvaluation": Self.time(group.lastEvaluation),
            ]
        }
        return PrometheusAPI.success(["groups": groups])
    }

    static func time(_ milliseconds: Int64?) -> String {
        milliseconds.map { RFC3339.format(milliseconds: $0) } ?? "0001-01-01T00:00:00Z"
    }

    static func rule(_ rule: RuleState) -> [String: Any] {
        let definition = rule.definition
        var object: [String: Any] = [
            "name": definition.name, "query": definition.exprText, "health": rule.health.rawValue, "evaluationTime": rule.evaluationSeconds,
            "lastEvaluation": Self.time(rule.lastEvaluation), "labels": Dictionary(uniqueKeysWithValues: definition.labels.map { ($0.name, $0.value) }),
        ]
        if let error = rule.lastError { object["lastError"] = error }
        switch definition.kind {
        case .recording: object["type"] = "recording"
        case .alerting:
            object["type"] = "alerting"
            object["duration"] = Double(definition.holdDuration) / 1000
            object["keepFiringFor"] = Double(definition.keepFiringFor) / 1000
            object["annotations"] = Dictionary(uniqueKeysWithValues: definition.annotations.map { ($0.name, $0.value) })
            let alerts = Self.alerts(rule)
            object["alerts"] = alerts
            let states = Set(alerts.compactMap { $0["state"] as? String })
            object["state"] = states.contains("firing") ? "firing" : states.contains("pending") ? "pending" : "inactive"
        }
        return object
    }

    /// A rule's pending and firing alerts.
    static func alerts(_ rule: RuleState) -> [[String: Any]] {
        rule.alerts.alerts.values.filter { $0.state != .inactive }.sorted { $0.labels < $1.labels }.map { alert in
            var object: [String: Any] = [
                "labels": Dictionary(uniqueKeysWithValues: alert.labels.pairs.map { ($0.name, $0.value) }), "annotations": alert.annotations,
                "state": alert.state.rawValue, "activeAt": RFC3339.format(milliseconds: alert.activeAt), "value": ValueFormat.exponent(alert.value),
            ]
            if let keepFiringSince = alert.keepFiringSince { object["keepFiringSince"] = RFC3339.format(milliseconds: keepFiringSince) }
            return object
        }
    }

    private func reload() async throws -> Response {
        let count: Int
        do {
            count = try self.rules.reload()
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_rules", message: "failed to reload rule files: \(error.description)")
        }
        try await self.audit.recordAuditEvent(
            action: "rules.reloaded", subjectType: "rules", subjectID: "rule_files", details: [("rules", "\(count)")], now: WallClock.nowMilliseconds())
        return try APIRequest.json(.ok, ["status": "success", "rules": count])
    }
}
