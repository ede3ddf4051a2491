import ArbiterPromQL
import ArbiterTSDB

/// What every rule evaluation shares: the engine, the storage, and the labels and URL templates see.
public struct RuleEnvironment: Sendable {
    public var engine: Engine
    public var storage: any RuleStorage
    public var externalLabels: [String: String]
    public var externalURL: String

    public init(engine: Engine = Engine(), storage: any RuleStorage, externalLabels: [String: String] = [:], externalURL: String = "") {
        self.engine = engine
        self.storage = storage
        self.externalLabels = externalLabels
        self.externalURL = externalURL
    }

    /// The `query` template function at `time`.
    func templateQuery() -> @Sendable (String, Int64) throws -> [TemplateValue.QuerySample] {
        let engine = self.engine
        let storage = self.storage
        return { query, time in
            let expr = try Parser.parse(query)
            switch try engine.instant(expr, at: time, on: storage) {
            case .vector(let samples):
                return samples.map { TemplateValue.QuerySample(labels: Dictionary(uniqueKeysWithValues: $0.labels.pairs.map { ($0.name, $0.value) }), value: $0.value) }
            case .scalar(let value):
                return [TemplateValue.QuerySample(labels: [:], value: value)]
            default:
                throw TemplateError("query \"\(query)\" did not return a vector or scalar")
            }
        }
    }
}
