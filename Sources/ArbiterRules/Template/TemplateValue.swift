/// A value inside an alert template: what Go's `text/template` would hold for Prometheus's template
/// data (labels maps, float values, query results).
public enum TemplateValue: Sendable {
    case string(String)
    case float(Double)
    case int(Int)
    case bool(Bool)
    case labels([String: String])
    case samples([QuerySample])
    case sample(QuerySample)
    /// A struct with named fields (the template's root data).
    case record([String: TemplateValue])
    case none

    /// A `query` result element: `.Labels` and `.Value`.
    public struct QuerySample: Sendable {
        public var labels: [String: String]
        public var value: Double

        public init(labels: [String: String], value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// Go's truth: false, 0, "", nil and empty collections are false.
    var isTrue: Bool {
        switch self {
        case .string(let text): !text.isEmpty
        case .float(let value): value != 0
        case .int(let value): value != 0
        case .bool(let value): value
        case .labels(let map): !map.isEmpty
        case .samples(let list): !list.isEmpty
        case .sample, .record: true
        case .none: false
        }
    }

    /// As `fmt.Sprint` prints it.
    var printed: String {
        switch self {
        case .string(let text): text
        case .float(let value): GoFormat.value(value)
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .labels(let map): "map[" + map.keys.sorted().map { "\($0):\(map[$0]!)" }.joined(separator: " ") + "]"
        case .samples(let list): "[" + list.map { TemplateValue.sample($0).printed }.joined(separator: " ") + "]"
        case .sample(let sample): "{" + TemplateValue.labels(sample.labels).printed + " " + GoFormat.value(sample.value) + "}"
        case .record(let fields): "{" + fields.keys.sorted().map { fields[$0]!.printed }.joined(separator: " ") + "}"
        case .none: "<no value>"
        }
    }

    /// Go's type name, for error messages.
    var typeName: String {
        switch self {
        case .string: "string"
        case .float: "float64"
        case .int: "int"
        case .bool: "bool"
        case .labels: "map[string]string"
        case .samples: "template.queryResult"
        case .sample: "*template.sample"
        case .record: "struct"
        case .none: "<nil>"
        }
    }

    /// `.Name` on this value.
    func field(_ name: String) throws(TemplateError) -> TemplateValue {
        switch self {
        case .labels(let map): return .string(map[name] ?? "")
        case .sample(let sample):
            switch name {
            case "Labels": return .labels(sample.labels)
            case "Value": return .float(sample.value)
            default: break
            }
        case .record(let fields): if let value = fields[name] { return value }
        case .none: return .none
        default: break
        }
        throw TemplateError("can't evaluate field \(name) in type \(self.typeName)")
    }
}
