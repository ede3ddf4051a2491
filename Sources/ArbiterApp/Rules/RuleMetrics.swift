import ArbiterMetrics
import ArbiterRules

/// `arbiter_rule_*`, mirroring Prometheus's `prometheus_rule_*`, by `rule_group` (`file;name`).
struct RuleMetrics: Sendable {
    let evaluations: CounterFamily
    let failures: CounterFamily
    let iterations: CounterFamily
    let missed: CounterFamily
    let lastDuration: GaugeFamily
    let lastEvaluation: GaugeFamily
    let lastSamples: GaugeFamily
    let rules: GaugeFamily
    let interval: GaugeFamily
    let evaluationDuration: Histogram
    let reloadSuccessful: Gauge
    let reloadTimestamp: Gauge

    init(registry: MetricRegistry) throws {
        let group = ["rule_group"]
        self.evaluations = try registry.counterFamily("arbiter_rule_evaluations_total", help: "Rule evaluations, by group.", labelNames: group)
        self.failures = try registry.counterFamily(
            "arbiter_rule_evaluation_failures_total", help: "Rule evaluations that failed, by group.", labelNames: group)
        self.iterations = try registry.counterFamily(
            "arbiter_rule_group_iterations_total", help: "Scheduled evaluations of the group.", labelNames: group)
        self.missed = try registry.counterFamily(
            "arbiter_rule_group_iterations_missed_total", help: "Evaluations skipped because the previous ones ran late.", labelNames: group)
        self.lastDuration = try registry.gaugeFamily(
            "arbiter_rule_group_last_duration_seconds", help: "How long the group's last evaluation took.", labelNames: group, unit: "seconds")
        self.lastEvaluation = try registry.gaugeFamily(
            "arbiter_rule_group_last_evaluation_timestamp_seconds", help: "When the group was last evaluated (Unix time).", labelNames: group,
            unit: "seconds")
        self.lastSamples = try registry.gaugeFamily(
            "arbiter_rule_group_last_evaluation_samples", help: "Samples the group's last evaluation wrote.", labelNames: group)
        self.rules = try registry.gaugeFamily("arbiter_rule_group_rules", help: "Rules in the group.", labelNames: group)
        self.interval = try registry.gaugeFamily(
            "arbiter_rule_group_interval_seconds", help: "The group's evaluation interval.", labelNames: group, unit: "seconds")
        self.evaluationDuration = try registry.histogram(
            "arbiter_rule_evaluation_duration_seconds", help: "How long one rule's evaluation takes.", unit: "seconds")
        self.reloadSuccessful = try registry.gauge(
            "arbiter_rules_last_reload_successful", help: "Whether the last load of the rule files succeeded (1) or was refused (0).")
        self.reloadTimestamp = try registry.gauge(
            "arbiter_rules_last_reload_success_timestamp_seconds", help: "When the rule files were last loaded successfully (Unix time).",
            unit: "seconds")
    }

    func loaded(_ groups: [RuleGroup], at time: Int64) {
        self.reloadSuccessful.set(1)
        self.reloadTimestamp.set(Double(time) / 1000)
        for group in groups {
            try? self.rules.labels([group.key]).set(Double(group.definition.rules.count))
            try? self.interval.labels([group.key]).set(Double(group.interval) / 1000)
            _ = try? self.evaluations.labels([group.key])
            _ = try? self.failures.labels([group.key])
            _ = try? self.iterations.labels([group.key])
            _ = try? self.missed.labels([group.key])
        }
    }

    func evaluated(_ group: RuleGroup, _ evaluation: RuleGroup.Evaluation, missed: Int) {
        let key = [group.key]
        try? self.evaluations.labels(key).increment(by: evaluation.rulesEvaluated)
        if !evaluation.failures.isEmpty { try? self.failures.labels(key).increment(by: evaluation.failures.count) }
        try? self.iterations.labels(key).increment(by: 1 + missed)
        if missed > 0 { try? self.missed.labels(key).increment(by: missed) }
        try? self.lastDuration.labels(key).set(evaluation.durationSeconds)
        try? self.lastEvaluation.labels(key).set(Double(evaluation.time) / 1000)
        try? self.lastSamples.labels(key).set(Double(evaluation.samplesWritten))
        for rule in group.rules { self.evaluationDuration.observe(rule.evaluationSeconds) }
    }
}
