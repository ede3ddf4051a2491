import ArbiterPromQL
import ArbiterTSDB

/// A rule with what its evaluations have left: health, last error, timing, its alerts, and the
/// series it wrote last time (to mark them stale when they go).
public struct RuleState: Sendable {
    public enum Health: String, Sendable { case unknown, ok, err }

    public let definition: RuleDefinition
    let labelTemplates: [(name: String, template: Template)]
    let annotationTemplates: [(name: String, template: Template)]
    public internal(set) var alerts: AlertSet
    public internal(set) var health: Health = .unknown
    public internal(set) var lastError: String?
    /// Unix ms of the last evaluation and how long it took (seconds).
    public internal(set) var lastEvaluation: Int64?
    public internal(set) var evaluationSeconds: Double = 0
    var lastSeries: Set<Labels> = []

    public init(_ definition: RuleDefinition) {
        self.definition = definition
        var labels: [(String, Template)] = []
        var annotations: [(String, Template)] = []
        if case .alerting(let name) = definition.kind {
            // Parsed when the file was read; these cannot fail here.
            for pair in definition.labels { labels.append((pair.name, try! Template(pair.value, name: "__alert_" + name))) }
            for pair in definition.annotations { annotations.append((pair.name, try! Template(pair.value, name: "__alert_" + name))) }
        }
        self.labelTemplates = labels.map { (name: $0.0, template: $0.1) }
        self.annotationTemplates = annotations.map { (name: $0.0, template: $0.1) }
        self.alerts = AlertSet(holdDuration: definition.holdDuration, keepFiringFor: definition.keepFiringFor)
    }

    /// Evaluates the rule at `time`; returns the samples to write.
    mutating func evaluate(at time: Int64, limit: Int, environment: RuleEnvironment) throws -> [(Labels, Double)] {
        let vector: [Sample]
        switch try environment.engine.instant(self.definition.expr, at: time, on: environment.storage) {
        case .vector(let samples): vector = samples
        case .scalar(let value): vector = [Sample(labels: Labels([(String, String)]()), value: value, timestamp: time)]
        default: throw QueryError("rule result is not a vector or scalar")
        }
        switch self.definition.kind {
        case .recording(let name): return try self.record(vector, name: name, limit: limit)
        case .alerting(let name):
            try self.alert(vector, name: name, at: time, limit: limit, environment: environment)
            return self.alerts.series(at: time)
        }
    }

    private func record(_ vector: [Sample], name: String, limit: Int) throws -> [(Labels, Double)] {
        var seen = Set<Labels>()
        var out: [(Labels, Double)] = []
        for sample in vector {
            var pairs = sample.labels.pairs.filter { $0.name != Labels.metricName }.map { ($0.name, $0.value) }
            pairs.append((Labels.metricName, name))
            pairs += self.definition.labels.map { ($0.name, $0.value) }
            let labels = Labels(pairs)
            guard seen.insert(labels).inserted else { throw QueryError("vector contains metrics with the same labelset after applying rule labels") }
            out.append((labels, sample.value))
        }
        if limit > 0 && out.count > limit { throw QueryError("exceeded limit of \(limit) with \(out.count) series") }
        return out
    }

    private mutating func alert(_ vector: [Sample], name: String, at time: Int64, limit: Int, environment: RuleEnvironment) throws {
        var candidates: [AlertSet.Candidate] = []
        var seen = Set<Labels>()
        let query = environment.templateQuery()
        for sample in vector {
            // The context is built only for templates with actions (static labels need none).
            var context: Template.Context?
            func expand(_ template: Template) -> String {
                if let text = template.constantText { return text }
                if context == nil {
                    context = Template.Context(
                        labels: Dictionary(uniqueKeysWithValues: sample.labels.pairs.map { ($0.name, $0.value) }),
                        externalLabels: environment.externalLabels, externalURL: environment.externalURL, value: sample.value, time: time, query: query)
                }
                return template.expandOrError(context!)
            }
            var pairs = sample.labels.pairs.filter { $0.name != Labels.metricName }.map { ($0.name, $0.value) }
            for (label, template) in self.labelTemplates { pairs.append((label, expand(template))) }
            pairs.append(("alertname", name))
            var annotations: [String: String] = [:]
            for (annotation, template) in self.annotationTemplates { annotations[annotation] = expand(template) }
            let labels = Labels(pairs)
            guard seen.insert(labels).inserted else { throw QueryError("vector contains metrics with the same labelset after applying alert labels") }
            candidates.append(AlertSet.Candidate(labels: labels, annotations: annotations, value: sample.value))
        }
        try self.alerts.update(candidates, at: time, limit: limit)
    }
}
