import Foundation

/// A shipped Grafana dashboard as the console draws it: its timeseries and stat panels, each with
/// its queries, unit and legend. Read once from the compiled-in JSON.
struct ConsoleDashboard: Sendable {
    struct Target: Sendable {
        let expr: String
        let legend: String
    }

    struct Panel: Sendable {
        let title: String
        /// `timeseries` or `stat` (other kinds are listed, not drawn).
        let type: String
        let unit: String
        let targets: [Target]
        /// The row it sits under, if any.
        let row: String?
    }

    let uid: String
    let title: String
    let panels: [Panel]
    /// Grafana's default range, as `now-1h` becomes `1h`.
    let defaultRange: String
    /// The dashboard's template variables other than the data source: each matches everything (All).
    let variables: [String]

    /// Every shipped dashboard, by title.
    static let all: [ConsoleDashboard] = EmbeddedDashboards.files.compactMap { Self.parse($0.json) }.sorted { $0.title < $1.title }

    static func parse(_ text: String) -> ConsoleDashboard? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let uid = object["uid"] as? String else { return nil }
        var panels: [Panel] = []
        var row: String?
        func visit(_ list: [[String: Any]]) {
            for panel in list {
                let type = panel["type"] as? String ?? ""
                if type == "row" {
                    row = panel["title"] as? String
                    visit(panel["panels"] as? [[String: Any]] ?? [])
                    continue
                }
                let defaults = (panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any]
                let targets = (panel["targets"] as? [[String: Any]] ?? []).compactMap { target -> Target? in
                    guard let expr = target["expr"] as? String, target["hide"] as? Bool != true else { return nil }
                    return Target(expr: expr, legend: target["legendFormat"] as? String ?? "")
                }
                panels.append(Panel(title: panel["title"] as? String ?? "", type: type, unit: defaults?["unit"] as? String ?? "short", targets: targets, row: row))
            }
        }
        visit(object["panels"] as? [[String: Any]] ?? [])
        let from = ((object["time"] as? [String: Any])?["from"] as? String) ?? "now-1h"
        let variables = ((object["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []).compactMap { variable -> String? in
            variable["type"] as? String == "datasource" ? nil : variable["name"] as? String
        }
        return ConsoleDashboard(
            uid: uid, title: object["title"] as? String ?? uid, panels: panels, defaultRange: from.hasPrefix("now-") ? String(from.dropFirst(4)) : "1h",
            variables: variables)
    }

    /// `expr` with Grafana's variables replaced: template variables by `.*` (All), `$__rate_interval`
    /// as Grafana computes it (the larger of four sample intervals and a step plus one), `$__interval`
    /// by the step and `$__range` by the range.
    func query(_ expr: String, step: Int64, range: Int64, sampleInterval: Int64) -> String {
        var text = expr
        let rate = max(4 * sampleInterval, step + sampleInterval)
        for (name, value) in [("__rate_interval", "\(rate / 1000)s"), ("__interval", "\(max(step, 1000) / 1000)s"), ("__range", "\(range / 1000)s")] {
            text = text.replacingOccurrences(of: "${\(name)}", with: value).replacingOccurrences(of: "$\(name)", with: value)
        }
        for name in self.variables.sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: "${\(name)}", with: ".*").replacingOccurrences(of: "$\(name)", with: ".*")
        }
        return text
    }
}
