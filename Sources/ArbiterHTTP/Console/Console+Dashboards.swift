import ArbiterCore
import ArbiterPromQL
import ArbiterTSDB
import Foundation
import Hummingbird

/// The shipped Grafana dashboards, drawn from Arbiter's own query engine: every timeseries and stat
/// panel with its queries, unit and legend, over a chosen time range. Someone who runs only Arbiter
/// gets the dashboards without Grafana.
extension Console {
    static let ranges = ["5m", "15m", "1h", "3h", "6h", "12h", "24h"]

    func dashboards(_ request: Request, _ context: ArbiterRequestContext) throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let items = ConsoleDashboard.all.map { dashboard -> Markup in
            let drawn = dashboard.panels.filter { $0.type == "timeseries" || $0.type == "stat" }.count
            return "<li><a href=\"/console/dashboards/\(ConsoleRequest.encode(dashboard.uid))\">\(dashboard.title)</a> <span class=\"muted\">\(drawn) panels</span></li>"
        }
        let content: Markup = """
            <h1>Dashboards</h1>
            <p class="muted">The dashboards shipped in <code>dashboards/</code> for Grafana, drawn here from this daemon's own samples.</p>
            <ul>\(items)</ul>
            """
        return ConsolePage(section: .dashboards, title: "Dashboards", viewer: viewer).render(content, request: request)
    }

    func dashboard(_ request: Request, _ context: ArbiterRequestContext) throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let uid = try context.parameters.require("uid")
        guard let dashboard = ConsoleDashboard.all.first(where: { $0.uid == uid }) else {
            throw APIError(.notFound, code: "not_found", message: "no dashboard \(uid)", field: "uid")
        }
        let asked = ConsoleRequest.query(request)["range"] ?? dashboard.defaultRange
        let range = Self.ranges.contains(asked) ? asked : "1h"
        let rangeMilliseconds = PrometheusDuration.parse(range)?.wholeMilliseconds ?? 3_600_000
        let end = self.now
        let start = end - rangeMilliseconds
        // About 150 points across, never finer than the samples.
        let step = max(self.sampleInterval, rangeMilliseconds / 150 / 1000 * 1000)
        var row: String?
        var sections: [Markup] = []
        var panels: [Markup] = []
        func closeRow() {
            guard !panels.isEmpty else { return }
            sections.append("\(row.map { title -> Markup in "<h2>\(title)</h2>" } ?? .empty)<div class=\"grid\">\(panels)</div>")
            panels = []
        }
        for panel in dashboard.panels {
            if panel.row != row {
                closeRow()
                row = panel.row
            }
            panels.append(self.panel(panel, of: dashboard, start: start, end: end, step: step))
        }
        closeRow()
        let options = Self.ranges.map { value -> Markup in "<option value=\"\(value)\"\(value == range ? Markup(" selected") : .empty)>last \(value)</option>" }
        let content: Markup = """
            <h1>\(dashboard.title)</h1>
            <form class="filters" method="get" data-autosubmit><label>Time range<select name="range">\(options)</select></label>\
            <button type="submit">Show</button> <span class="muted">every \(step / 1000) s, up to \(ConsoleFormat.time(end))</span></form>
            \(sections)
            """
        return ConsolePage(section: .dashboards, title: dashboard.title, viewer: viewer).render(content, request: request)
    }

    private func panel(_ panel: ConsoleDashboard.Panel, of dashboard: ConsoleDashboard, start: Int64, end: Int64, step: Int64) -> Markup {
        let queries = panel.targets.map { "<code>\($0.expr)</code>" as Markup }
        let heading: Markup = "<h3>\(panel.title)</h3><details><summary class=\"muted\">query</summary>\(queries)</details>"
        guard panel.type == "timeseries" || panel.type == "stat" else {
            return "<section class=\"panel\">\(heading)<p class=\"muted\">A \(panel.type) panel: shown in Grafana.</p></section>"
        }
        guard let api = self.queryAPI else { return "<section class=\"panel\">\(heading)<p class=\"muted\">No query engine.</p></section>" }
        var lines: [ConsoleChart.Line] = []
        var errors: [String] = []
        for target in panel.targets {
            let text = dashboard.query(target.expr, step: step, range: end - start, sampleInterval: self.sampleInterval)
            do {
                let expr = try Parser.parse(text)
                let series = panel.type == "stat"
                    ? try api.engine.range(expr, start: end, end: end, step: step, on: api.head)
                    : try api.engine.range(expr, start: start, end: end, step: step, on: api.head)
                for one in series {
                    lines.append(ConsoleChart.Line(name: Self.legend(target.legend, one.labels), points: one.points.map { ($0.timestamp, $0.value) }))
                }
            } catch {
                errors.append("\(error)")
            }
        }
        let problem: Markup = errors.isEmpty ? .empty : "<p class=\"notice bad\">\(errors.joined(separator: "; "))</p>"
        guard lines.contains(where: { !$0.points.isEmpty }) else {
            return "<section class=\"panel\">\(heading)\(problem)<p class=\"muted\" data-testid=\"panel-nodata\">No data.</p></section>"
        }
        if panel.type == "stat" {
            let values = lines.prefix(4).map { line -> Markup in
                // 0/0 (a ratio before anything happened) is no value yet.
                let value = line.points.last.flatMap { $0.1.isNaN ? nil : ConsoleChart.format($0.1, unit: panel.unit) } ?? "–"
                return "<div><span class=\"stat\">\(value)</span> <span class=\"muted\">\(line.name)</span></div>"
            }
            return "<section class=\"panel\" data-kind=\"stat\">\(heading)\(problem)\(values)</section>"
        }
        return "<section class=\"panel\" data-kind=\"timeseries\">\(heading)\(problem)\(ConsoleChart.lines(lines, start: start, end: end, step: step, unit: panel.unit))</section>"
    }

    /// Grafana's `{{label}}` legend, or the series' labels.
    static func legend(_ format: String, _ labels: Labels) -> String {
        guard !format.isEmpty, format != "__auto" else {
            let pairs = labels.pairs.filter { $0.name != Labels.metricName }.map { "\($0.name)=\"\($0.value)\"" }
            return pairs.isEmpty ? (labels[Labels.metricName] ?? "value") : "{" + pairs.joined(separator: ", ") + "}"
        }
        var text = format
        for pair in labels.pairs {
            text = text.replacingOccurrences(of: "{{\(pair.name)}}", with: pair.value).replacingOccurrences(of: "{{ \(pair.name) }}", with: pair.value)
        }
        return text
    }
}
