import ArbiterCore
import ArbiterPromQL
import Yams

extension RuleFileReader {
    /// One rule, checked as `rulefmt.RuleNode.Validate` does; `nil` if it has errors.
    mutating func rule(_ node: Node, group: String, index: Int) -> RuleDefinition? {
        guard let mapping = node.mapping else {
            self.fail(node, "group \"\(group)\", rule \(index): a rule must be a mapping")
            return nil
        }
        var fields: [String: Node] = [:]
        var keys: [String: Node] = [:]
        let before = self.errors.count
        for (key, value) in mapping {
            let name = key.string ?? ""
            switch name {
            case "record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations":
                fields[name] = value
                keys[name] = key
            default:
                self.fail(key, "field \(name) not found in type rulefmt.RuleNode")
            }
        }
        let record = fields["record"]?.string ?? ""
        let alert = fields["alert"]?.string ?? ""
        let ruleName = alert.isEmpty ? record : alert
        func problem(_ at: Node?, _ message: String) {
            self.fail(at ?? node, "group \"\(group)\", rule \(index), \"\(ruleName)\": \(message)")
        }
        if !record.isEmpty && !alert.isEmpty { problem(fields["record"], "only one of 'record' and 'alert' must be set") }
        if record.isEmpty && alert.isEmpty { problem(fields["record"] ?? fields["alert"], "one of 'record' or 'alert' must be set") }
        let exprText = fields["expr"]?.string ?? ""
        var expr: Expr?
        if exprText.isEmpty {
            problem(fields["expr"], "field 'expr' must be set in rule")
        } else {
            do {
                expr = try Parser.parse(exprText)
            } catch {
                problem(fields["expr"], "could not parse expression: \(error)")
            }
        }
        let holdDuration = Self.duration(fields["for"], problem)
        let keepFiringFor = Self.duration(fields["keep_firing_for"], problem)
        let labels = Self.pairs(fields["labels"], problem)
        let annotations = Self.pairs(fields["annotations"], problem)
        if !record.isEmpty {
            if !annotations.isEmpty { problem(fields["record"], "invalid field 'annotations' in recording rule") }
            if holdDuration != 0 { problem(fields["record"], "invalid field 'for' in recording rule") }
            if keepFiringFor != 0 { problem(fields["record"], "invalid field 'keep_firing_for' in recording rule") }
            if !PrometheusName.isMetricName(record) { problem(fields["record"], "invalid recording rule name: \(record)") }
        }
        for (name, _) in labels where !PrometheusName.isLabelName(name) || name == "__name__" { problem(fields["labels"], "invalid label name: \(name)") }
        for (name, _) in annotations where !PrometheusName.isLabelName(name) { problem(fields["annotations"], "invalid annotation name: \(name)") }
        if !alert.isEmpty {
            // Labels and annotations of an alerting rule are templates; they must parse.
            let templates = labels.map { ("label", $0) } + annotations.map { ("annotation", $0) }
            for (kind, pair) in templates {
                do {
                    _ = try Template(pair.value, name: "__alert_" + alert)
                } catch {
                    problem(fields[kind == "label" ? "labels" : "annotations"], "\(kind) \"\(pair.name)\": \(error)")
                }
            }
        }
        guard self.errors.count == before, let expr else { return nil }
        return RuleDefinition(
            kind: alert.isEmpty ? .recording(record) : .alerting(alert), exprText: exprText, expr: expr, holdDuration: holdDuration,
            keepFiringFor: keepFiringFor, labels: labels, annotations: annotations, line: node.mark?.line ?? 0)
    }

    private static func duration(_ node: Node?, _ problem: (Node?, String) -> Void) -> Int64 {
        guard let node, node.null == nil else { return 0 }
        guard let text = node.string, let value = PrometheusDuration.milliseconds(text) else {
            problem(node, "not a valid duration string: \"\(node.string ?? "")\"")
            return 0
        }
        return value
    }

    private static func pairs(_ node: Node?, _ problem: (Node?, String) -> Void) -> [(name: String, value: String)] {
        guard let node, node.null == nil else { return [] }
        guard let mapping = node.mapping else {
            problem(node, "labels and annotations must be a mapping of strings")
            return []
        }
        return mapping.map { (name: $0.key.string ?? "", value: $0.value.string ?? "") }.sorted { $0.name < $1.name }
    }
}
