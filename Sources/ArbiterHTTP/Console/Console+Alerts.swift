import ArbiterCore
import ArbiterRules
import ArbiterTSDB
import Foundation
import Hummingbird

/// Pending and firing alerts with their labels, annotations and since; every rule group with its
/// rules' health, last error and evaluation time.
extension Console {
    struct ShownAlert {
        let name: String
        let labels: String
        let state: String
        let activeAt: Int64
        let value: Double
        let annotations: [String: String]
    }

    /// The alerts that are pending or firing, firing first.
    func activeAlerts() -> [ShownAlert] {
        let groups = self.queryAPI?.rules.currentGroups ?? []
        return groups.flatMap { group in
            group.rules.flatMap { rule in
                rule.alerts.alerts.values.filter { $0.state != .inactive }.map { alert in
                    ShownAlert(
                        name: rule.definition.name, labels: alert.labels.pairs.filter { $0.name != Labels.metricName && $0.name != "alertname" }
                            .map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ", "),
                        state: alert.state.rawValue, activeAt: alert.activeAt, value: alert.value, annotations: alert.annotations)
                }
            }
        }.sorted { ($0.state == "firing" ? 0 : 1, $0.name, $0.labels) < ($1.state == "firing" ? 0 : 1, $1.name, $1.labels) }
    }

    func firingAlerts() -> [ShownAlert] {
        self.activeAlerts().filter { $0.state == "firing" }
    }

    func alerts(_ request: Request, _ context: ArbiterRequestContext) throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let now = self.now
        let alerts = self.activeAlerts().map { alert -> Markup in
            let annotations = alert.annotations.sorted { $0.key < $1.key }.map { key, value -> Markup in "<div><b>\(key)</b>: \(value)</div>" }
            return """
                <tr><td>\(alert.name)</td><td>\(ConsoleFormat.state(alert.state))</td><td><code>\(alert.labels)</code></td><td>\(annotations)</td>\
                <td>\(ConsoleFormat.time(alert.activeAt)) <span class="muted">(\(ConsoleFormat.age(alert.activeAt, now: now)))</span></td>\
                <td class="num">\(ConsoleFormat.number(alert.value, digits: 4))</td></tr>
                """
        }
        let groups = (self.queryAPI?.rules.currentGroups ?? []).map { group -> Markup in
            let rules = group.rules.map { rule -> Markup in
                let state: String
                switch rule.definition.kind {
                case .recording: state = "recording"
                case .alerting:
                    let states = Set(rule.alerts.alerts.values.map(\.state.rawValue))
                    state = states.contains("firing") ? "firing" : states.contains("pending") ? "pending" : "inactive"
                }
                return """
                    <tr><td>\(rule.definition.name)</td><td><code>\(rule.definition.exprText)</code></td><td>\(ConsoleFormat.state(state))</td>\
                    <td>\(ConsoleFormat.state(rule.health.rawValue))</td><td>\(rule.lastError ?? "")</td>\
                    <td class="num">\(ConsoleFormat.duration(seconds: rule.evaluationSeconds))</td></tr>
                    """
            }
            return """
                <section><h2>\(group.name) <span class="muted">· \(group.file) · every \(ConsoleFormat.duration(seconds: Double(group.interval) / 1000)) · \
                last \(ConsoleFormat.time(group.lastEvaluation)) in \(ConsoleFormat.duration(seconds: group.lastDurationSeconds))</span></h2>
                <table><thead><tr><th>Rule</th><th>Expression</th><th>State</th><th>Health</th><th>Last error</th><th class="num">Evaluation</th></tr></thead>
                <tbody>\(rules)</tbody></table></section>
                """
        }
        let content: Markup = """
            <h1>Alerts and rules</h1>
            <h2>Pending and firing alerts</h2>
            \(alerts.isEmpty ? Markup("<p class=\"muted\">No alert is pending or firing.</p>") : """
                <table aria-label="Alerts"><thead><tr><th>Alert</th><th>State</th><th>Labels</th><th>Annotations</th><th>Since</th><th class="num">Value</th></tr></thead>
                <tbody>\(alerts)</tbody></table>
                """)
            \(self.queryAPI == nil ? Markup("<p class=\"muted\">Rules are not evaluated by this daemon.</p>") : Markup.empty)
            \(groups)
            """
        return ConsolePage(section: .alerts, title: "Alerts and rules", viewer: viewer, notice: ConsolePage.notice(request)).render(content, request: request)
    }
}
