import ArbiterMetrics
import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB

/// What the Prometheus-compatible API reads: the head, the engine and its limits, the rules.
public struct QueryAPI: Sendable {
    public var head: Head
    public var engine: Engine
    public var rules: any RuleSource
    public var registry: MetricRegistry

    public init(head: Head, engine: Engine, rules: any RuleSource, registry: MetricRegistry) {
        self.head = head
        self.engine = engine
        self.rules = rules
        self.registry = registry
    }
}
