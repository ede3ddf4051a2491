import Foundation

/// One shipped Grafana dashboard (`dashboards/*.json`), read as JSON, with what the checks look at:
/// its variables, its panels (those inside collapsed rows too) and each panel's queries.
struct Dashboard {
    /// A panel's query.
    struct Query {
        let panel: String
        let refID: String
        let expr: String
    }

    /// The file name.
    let file: String
    let json: [String: Any]

    /// The repository's `dashboards/` folder.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("dashboards")

    /// Every dashboard shipped, by file name.
    static func all() throws -> [Dashboard] {
        let names = try FileManager.default.contentsOfDirectory(atPath: self.folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: self.folder.appendingPathComponent(name))
            guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw DashboardError("\(name): the top level is not an object")
            }
            return Dashboard(file: name, json: json)
        }
    }

    var uid: String { self.json["uid"] as? String ?? "" }
    var title: String { self.json["title"] as? String ?? "" }

    /// `templating.list`.
    var variables: [[String: Any]] {
        (self.json["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
    }

    /// Every panel, rows included, and the panels collapsed rows hold.
    var panels: [[String: Any]] {
        (self.json["panels"] as? [[String: Any]] ?? []).flatMap { panel in [panel] + (panel["panels"] as? [[String: Any]] ?? []) }
    }

    /// Panels that show data (not rows).
    var dataPanels: [[String: Any]] {
        self.panels.filter { $0["type"] as? String != "row" }
    }

    /// Every query of every panel.
    var queries: [Query] {
        self.dataPanels.flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).map { target in
                Query(panel: panel["title"] as? String ?? "?", refID: target["refId"] as? String ?? "?", expr: target["expr"] as? String ?? "")
            }
        }
    }

    /// The names the dashboard's variables are used by (`$name`, `${name}`, `${name:format}`, `[[name]]`)
    /// in `text`; Grafana's built-ins (`$__…`) are left out.
    static func variableReferences(in text: String) -> Set<String> {
        let pattern = #/\$\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]/#
        var names: Set<String> = []
        for match in text.matches(of: pattern) {
            guard let name = match.output.1 ?? match.output.2 ?? match.output.3 else { continue }
            if !name.hasPrefix("__") { names.insert(String(name)) }
        }
        return names
    }

    /// `text` with variables replaced by `values` (a name missing from it is left as it is).
    static func substitute(_ text: String, _ values: [String: String]) -> String {
        var result = text
        // Longest names first, so that `$__rate_interval` is not read as `$__rate` followed by text.
        for (name, value) in values.sorted(by: { $0.key.count > $1.key.count }) {
            for form in ["${\(name)}", "[[\(name)]]", "$\(name)"] {
                result = result.replacingOccurrences(of: form, with: value)
            }
        }
        return result
    }
}

struct DashboardError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
