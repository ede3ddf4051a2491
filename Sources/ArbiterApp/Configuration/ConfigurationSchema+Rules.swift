import ArbiterCore
import ArbiterPromQL

/// Configuration keys of rule evaluation, alerting and the query engine.
extension ConfigurationSchema {
    static let rulesFields: [ConfigField] = [
        stringList("rule_files", "rule files to evaluate, paths or globs (relative to the config file)", what: "a list of paths or globs", \.ruleFiles),
        ConfigField(
            path: "rules.builtin", summary: "evaluate Arbiter's shipped rules (alerts/*.yml, compiled in)", flag: nil, isList: false,
            apply: { config, value, _ in boolean(value) { config.rulesBuiltin = $0 } },
            render: { config, _ in "\(config.rulesBuiltin)" }
        ),
        duration("rules.evaluation_interval", "how often rule groups without their own interval are evaluated", \.ruleEvaluationInterval),
        ConfigField(
            path: "rules.external_labels", summary: "name=value labels templates see as $externalLabels and alerts carry to Alertmanager",
            flag: nil, isList: true,
            apply: { config, value, _ in
                guard case .list(let items) = value else { return "expected a list of name=value" }
                var labels: [String: String] = [:]
                for item in items {
                    let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, PrometheusName.isLabelName(parts[0]), !parts[1].isEmpty, !parts[0].hasPrefix("__") else {
                        return "\"\(item)\" is not name=value with a valid label name"
                    }
                    labels[parts[0]] = parts[1]
                }
                config.externalLabels = labels
                return nil
            },
            render: { config, _ in
                config.externalLabels.isEmpty ? nil : "[" + config.externalLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "]"
            }
        ),
        optionalText("rules.external_url", "the URL alerts link back to (generatorURL, $externalURL)", what: "a URL", \.externalURL),
        ConfigField(
            path: "alerting.alertmanagers", summary: "Alertmanager base URLs alerts are sent to (http://host:9093)", flag: nil, isList: true,
            apply: { config, value, _ in
                guard case .list(let urls) = value else { return "expected a list of URLs" }
                for url in urls where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    return "\"\(url)\" is not an http:// or https:// URL"
                }
                config.alertmanagers = urls
                return nil
            },
            render: { config, _ in config.alertmanagers.isEmpty ? nil : "[" + config.alertmanagers.joined(separator: ", ") + "]" }
        ),
        duration("alerting.resend_delay", "how long to wait before resending a firing alert", \.alertResendDelay),
        duration("alerting.timeout", "how long a send to an Alertmanager may take", \.alertTimeout),
        count("alerting.queue_capacity", "alerts queued for Alertmanager at most; the oldest are dropped beyond", upTo: 10_000_000, \.alertQueueCapacity),
        duration("query.timeout", "how long a query may run", \.queryTimeout),
        duration("query.lookback_delta", "how far back an instant selector looks for a sample", \.queryLookbackDelta),
        count("query.max_samples", "samples a query may hold at once; a query over it is refused", upTo: 1_000_000_000, \.queryMaxSamples),
    ]
}
