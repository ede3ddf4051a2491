import ArbiterPromQL
import ArbiterTSDB
import Foundation
import Testing

/// The shipped dashboards against the conventions an SRE's Grafana expects, with the rules of
/// Grafana's dashboard-linter that apply (its binary cannot be built here, so its rules are checked
/// here): the data source a variable, an `instance` variable, `$__rate_interval` in every rate,
/// counters only through `rate`/`increase`, a unit, a title and a description on every panel, unique
/// ids, panels that do not overlap, every variable defined and used, every query parsing.
@Suite struct DashboardLintTests {
    /// What `$__rate_interval` and `$__range` stand for while parsing: values no dashboard writes
    /// itself, so a range equal to one of them came from the variable.
    static let rateInterval: Int64 = 8_869_990_787
    static let range: Int64 = 7_776_000_000
    /// What `$instance` and the other variables stand for while parsing.
    static let variableValue = "variable_value"

    static func parse(_ expr: String, variables: [String]) throws -> Expr {
        var values = ["__rate_interval": "\(Self.rateInterval)ms", "__range": "\(Self.range)ms", "__interval": "15s"]
        for name in variables { values[name] = Self.variableValue }
        return try Parser.parse(Dashboard.substitute(expr, values))
    }

    /// Grafana's unit ids the dashboards may use.
    static let units: Set<String> = [
        "none", "short", "percent", "percentunit", "s", "ms", "µs", "ns", "m", "h", "d", "dtdurations", "dtdurationms", "dateTimeAsIso",
        "dateTimeFromNow", "bytes", "decbytes", "bits", "Bps", "binBps", "ops", "reqps", "rps", "wps", "rpm", "opm", "cps", "bool", "bool_yes_no",
    ]

    static let panelTypes: Set<String> = ["timeseries", "stat", "heatmap", "table", "bargauge", "gauge"]

    let dashboards: [Dashboard]

    init() throws {
        self.dashboards = try Dashboard.all()
    }

    @Test func oneDashboardPerConcernWithStableUIDsAndTheArbiterTag() {
        let expected = ["overview", "jobs", "workers", "steering", "governance", "rules-tsdb", "remote-write", "process-store", "cluster"].map { "arbiter-\($0)" }
        #expect(Set(self.dashboards.map(\.uid)) == Set(expected))
        for dashboard in self.dashboards {
            let file = dashboard.file
            #expect(file == dashboard.uid + ".json", "\(file): named after its uid")
            #expect((8...40).contains(dashboard.uid.count), "\(file): uid of 8 to 40 characters")
            #expect(dashboard.title.hasPrefix("Arbiter / "), "\(file): title \(dashboard.title)")
            #expect(dashboard.json["tags"] as? [String] == ["arbiter"], "\(file): tagged arbiter")
            #expect((dashboard.json["schemaVersion"] as? Int ?? 0) >= 36, "\(file): Grafana 10/11 schema")
            #expect(dashboard.json["editable"] as? Bool == false, "\(file): not editable (provisioned)")
            #expect(dashboard.json["__inputs"] == nil && dashboard.json["__requires"] == nil, "\(file): no import-only inputs")
            let links = dashboard.json["links"] as? [[String: Any]] ?? []
            #expect(links.contains { $0["type"] as? String == "dashboards" && $0["tags"] as? [String] == ["arbiter"] }, "\(file): links to the others")
        }
    }

    @Test func theDataSourceAndTheInstanceAreVariables() throws {
        for dashboard in self.dashboards {
            let file = dashboard.file
            let datasource = dashboard.variables.first { $0["name"] as? String == "datasource" }
            #expect(datasource?["type"] as? String == "datasource" && datasource?["query"] as? String == "prometheus", "\(file): a datasource variable")
            let instance = try #require(dashboard.variables.first { $0["name"] as? String == "instance" }, "\(file): an instance variable")
            #expect(instance["multi"] as? Bool == true && instance["includeAll"] as? Bool == true, "\(file): instance takes several and all")
            // `.*`, not the linter's `.+`: Arbiter's own samples carry no instance label, and only `.*` matches a missing one.
            #expect(instance["allValue"] as? String == ".*", "\(file): instance's all value")
            for variable in dashboard.variables where variable["type"] as? String == "query" {
                let name = variable["name"] as? String ?? "?"
                #expect(Self.usesTheDataSourceVariable(variable["datasource"]), "\(file): variable \(name) reads ${datasource}")
                #expect(variable["refresh"] as? Int == 2, "\(file): variable \(name) reloads when the time range changes")
                let query = (variable["query"] as? [String: Any])?["query"] as? String ?? variable["query"] as? String ?? ""
                let body = try #require(query.wholeMatch(of: #/label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)/#)?.output.1, "\(file): \(name): \(query)")
                #expect(throws: Never.self, "\(file): variable \(name)") { try Self.parse(String(body), variables: ["instance"]) }
            }
        }
    }

    @Test func everyVariableDefinedIsUsedAndEveryOneUsedIsDefined() throws {
        for dashboard in self.dashboards {
            let defined = Set(dashboard.variables.compactMap { $0["name"] as? String })
            let text = String(decoding: try JSONSerialization.data(withJSONObject: ["panels": dashboard.json["panels"] ?? [], "templating": dashboard.json["templating"] ?? [:]]), as: UTF8.self)
            let used = Dashboard.variableReferences(in: text)
            #expect(used.subtracting(defined).isEmpty, "\(dashboard.file): used but not defined: \(used.subtracting(defined).sorted())")
            #expect(defined.subtracting(used).isEmpty, "\(dashboard.file): defined but not used: \(defined.subtracting(used).sorted())")
        }
    }

    @Test func everyPanelHasATitleADescriptionAUnitQueriesAndTheDataSourceVariable() {
        for dashboard in self.dashboards {
            #expect(dashboard.dataPanels.count >= 4, "\(dashboard.file): panels")
            for panel in dashboard.dataPanels {
                let name = "\(dashboard.file): \(panel["title"] as? String ?? "untitled panel")"
                #expect(Self.panelTypes.contains(panel["type"] as? String ?? ""), "\(name): type \(panel["type"] ?? "none")")
                #expect(!(panel["title"] as? String ?? "").isEmpty && !(panel["description"] as? String ?? "").isEmpty, "\(name): title and description")
                let unit = ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String
                #expect(Self.units.contains(unit ?? ""), "\(name): unit \(unit ?? "none")")
                #expect(Self.usesTheDataSourceVariable(panel["datasource"]), "\(name): panel data source")
                let targets = panel["targets"] as? [[String: Any]] ?? []
                #expect(!targets.isEmpty, "\(name): no queries")
                for target in targets {
                    #expect(Self.usesTheDataSourceVariable(target["datasource"]), "\(name): target data source")
                    #expect(!(target["expr"] as? String ?? "").isEmpty && target["refId"] != nil, "\(name): expr and refId")
                }
            }
        }
    }

    @Test func panelIDsAreUniqueAndPanelsFitTheGridWithoutOverlapping() {
        for dashboard in self.dashboards {
            let panels = dashboard.panels
            let ids = panels.compactMap { $0["id"] as? Int }
            #expect(ids.count == panels.count && Set(ids).count == ids.count, "\(dashboard.file): unique panel ids")
            let boxes = panels.map { panel -> (String, x: Int, y: Int, w: Int, h: Int) in
                let grid = panel["gridPos"] as? [String: Int] ?? [:]
                return (panel["title"] as? String ?? "?", grid["x"] ?? -1, grid["y"] ?? -1, grid["w"] ?? 0, grid["h"] ?? 0)
            }
            for (index, box) in boxes.enumerated() {
                #expect(box.x >= 0 && box.y >= 0 && box.w > 0 && box.h > 0 && box.x + box.w <= 24, "\(dashboard.file): \(box.0) at \(box)")
                for other in boxes[(index + 1)...] {
                    let apart = box.x + box.w <= other.x || other.x + other.w <= box.x || box.y + box.h <= other.y || other.y + other.h <= box.y
                    #expect(apart, "\(dashboard.file): \(box.0) overlaps \(other.0)")
                }
            }
        }
    }

    @Test func everyQueryParsesRatesUseTheRateIntervalAndCountersGoThroughRateOrIncrease() throws {
        for dashboard in self.dashboards {
            let variables = dashboard.variables.compactMap { $0["name"] as? String }
            for query in dashboard.queries {
                let name = "\(dashboard.file): \(query.panel) \(query.refID)"
                let expr: Expr
                do {
                    expr = try Self.parse(query.expr, variables: variables)
                } catch {
                    Issue.record("\(name): \(error)\n\(query.expr)")
                    continue
                }
                for use in SelectorUse.all(in: expr) {
                    let metric = use.selector.name ?? "?"
                    let instance = use.matcher("instance")
                    #expect(instance?.kind == .regex && instance?.value == Self.variableValue, "\(name): \(metric) without instance=~\"$instance\"")
                    #expect(use.function != "irate", "\(name): irate hides what happens between two samples; rate")
                    if use.function == "rate" {
                        #expect(use.range == Self.rateInterval, "\(name): rate(\(metric)) over $__rate_interval")
                    }
                    if use.function == "increase" {
                        #expect(use.range == Self.rateInterval || use.range == Self.range, "\(name): increase(\(metric)) over $__rate_interval or $__range")
                    }
                    if metric.hasSuffix("_total") {
                        #expect(use.function == "rate" || use.function == "increase", "\(name): the counter \(metric) outside rate or increase")
                    }
                    if use.range == Self.rateInterval {
                        #expect(use.function == "rate" || use.function == "increase", "\(name): $__rate_interval outside rate or increase")
                    }
                }
            }
        }
    }

    @Test func alertStateChangesAreAnnotated() {
        for dashboard in self.dashboards {
            let annotations = (dashboard.json["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let alerts = annotations.first { ($0["expr"] as? String)?.contains("ALERTS{") == true }
            #expect(alerts != nil && Self.usesTheDataSourceVariable(alerts?["datasource"]), "\(dashboard.file): firing alerts as annotations")
        }
    }

    static func usesTheDataSourceVariable(_ value: Any?) -> Bool {
        guard let object = value as? [String: Any] else { return false }
        return ["${datasource}", "$datasource"].contains(object["uid"] as? String ?? "") && object["type"] as? String == "prometheus"
    }
}
