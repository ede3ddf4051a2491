import ArbiterCore
import ArbiterJobs

/// Configuration keys of retention (how long finished jobs are kept, globally and per job type) and of
/// the artifacts kept with them.
extension ConfigurationSchema {
    static let retentionFields: [ConfigField] =
        RetentionPolicy.states.map(globalPeriod) + [
            duration("retention.interval", "how often the leader removes finished jobs past their retention", \.retentionInterval)
        ] + RetentionPolicy.states.map(typePeriod) + [
            count(
                "artifacts.max_file_bytes", "largest artifact a worker may attach, in bytes (413 artifacts_too_large beyond)", upTo: 1 << 30,
                \.artifactLimits.maxFileBytes),
            ConfigField(
                path: "artifacts.max_job_bytes", summary: "most bytes of artifacts one job may hold", flag: nil, isList: false,
                apply: { config, value, _ in positive(value, upTo: 1 << 40) { config.artifactLimits.maxJobBytes = Int64($0) } },
                render: { config, _ in "\(config.artifactLimits.maxJobBytes)" }
            ),
        ]

    private static func globalPeriod(_ state: JobState) -> ConfigField {
        let fallback = RetentionPolicy.default.periods[state].map(PrometheusDuration.format) ?? "forever"
        return ConfigField(
            path: "retention.\(state.rawValue)",
            summary: "how long a \(state.rawValue) job is kept after it finished, or forever (default \(fallback))", flag: nil, isList: false,
            apply: { config, value, _ in
                keep(value) { keep in
                    switch keep {
                    case .forever: config.retention.periods[state] = nil
                    case .period(let period): config.retention.periods[state] = period
                    }
                }
            },
            render: { config, _ in config.retention.periods[state].map(PrometheusDuration.format) ?? "forever" }
        )
    }

    private static func typePeriod(_ state: JobState) -> ConfigField {
        ConfigField(
            path: "job_types.*.retention.\(state.rawValue)",
            summary: "how long a \(state.rawValue) job of the type is kept, or forever (default: retention.\(state.rawValue))", flag: nil,
            isList: false,
            apply: { config, value, name in
                keep(value) { config.jobTypes[name, default: JobTypePolicy()].retention.states[state] = $0 }
            },
            render: { config, name in
                switch config.jobTypes[name]?.retention.states[state] {
                case .forever?: "forever"
                case .period(let period)?: PrometheusDuration.format(period)
                case nil: nil
                }
            }
        )
    }

    /// A positive duration, or `forever`.
    private static func keep(_ value: ConfigValue, _ set: (RetentionOverride.Keep) -> Void) -> String? {
        scalar(value) { text in
            if text == "forever" {
                set(.forever)
                return nil
            }
            guard let period = PrometheusDuration.parse(text), period > .zero else {
                return "expected a duration longer than 0s, such as 24h or 7d, or forever"
            }
            set(.period(period))
            return nil
        }
    }
}
