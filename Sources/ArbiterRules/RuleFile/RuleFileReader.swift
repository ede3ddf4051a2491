import ArbiterCore
import ArbiterPromQL
import Yams

/// Walks a rule file's YAML nodes, collecting every error with its position.
struct RuleFileReader {
    let path: String
    var errors: [RuleFileError] = []

    init(path: String) {
        self.path = path
    }

    mutating func fail(_ node: Node?, _ message: String) {
        self.errors.append(RuleFileError(path: self.path, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, message: message))
    }

    mutating func read(_ text: String) -> [RuleGroupDefinition] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            self.errors.append(Self.yamlError(error, path: self.path))
            return []
        } catch {
            self.fail(nil, "\(error)")
            return []
        }
        guard let root else { return [] }
        guard let mapping = root.mapping else {
            self.fail(root, "yaml: unmarshal errors: cannot unmarshal \(Self.kind(root)) into rulefmt.RuleGroups")
            return []
        }
        var groups: [RuleGroupDefinition] = []
        for (key, value) in mapping {
            guard key.string == "groups" else {
                self.fail(key, "field \(key.string ?? "?") not found in type rulefmt.RuleGroups")
                continue
            }
            guard let sequence = value.sequence else {
                if value.null == nil { self.fail(value, "groups must be a list") }
                continue
            }
            var names: Set<String> = []
            for node in sequence {
                guard let group = self.group(node) else { continue }
                if group.name.isEmpty { self.fail(node, "Groupname must not be empty") }
                if !names.insert(group.name).inserted { self.fail(node, "groupname: \"\(group.name)\" is repeated in the same file") }
                groups.append(group)
            }
        }
        return groups
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: "!!str"
        case .sequence: "!!seq"
        case .mapping: "!!map"
        case .alias: "alias"
        }
    }

    static func yamlError(_ error: YamlError, path: String) -> RuleFileError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return RuleFileError(path: path, line: mark.line, column: mark.column, message: "yaml: \(problem)" + (context.map { " \($0)" } ?? ""))
        default:
            return RuleFileError(path: path, line: 0, column: 0, message: "yaml: \(error)")
        }
    }

    mutating func group(_ node: Node) -> RuleGroupDefinition? {
        guard let mapping = node.mapping else {
            self.fail(node, "a group must be a mapping")
            return nil
        }
        var name = ""
        var interval: Int64?
        var limit = 0
        var rules: [RuleDefinition] = []
        var ruleNodes: [Node] = []
        for (key, value) in mapping {
            switch key.string ?? "" {
            case "name": name = value.string ?? ""
            case "interval":
                guard let text = value.string, let parsed = PrometheusDuration.milliseconds(text) else {
                    self.fail(value, "not a valid duration string: \"\(value.string ?? "")\"")
                    continue
                }
                interval = parsed
            case "limit":
                guard let text = value.string, let parsed = Int(text) else {
                    self.fail(value, "cannot unmarshal \(value.string ?? "") into int (limit)")
                    continue
                }
                limit = parsed
            case "rules": ruleNodes = value.sequence.map(Array.init) ?? []
            case "source_tenants": continue
            default: self.fail(key, "field \(key.string ?? "?") not found in type rulefmt.RuleGroup")
            }
        }
        for (index, ruleNode) in ruleNodes.enumerated() {
            if let rule = self.rule(ruleNode, group: name, index: index + 1) { rules.append(rule) }
        }
        return RuleGroupDefinition(name: name, interval: interval, limit: limit, rules: rules, line: node.mark?.line ?? 0)
    }
}
