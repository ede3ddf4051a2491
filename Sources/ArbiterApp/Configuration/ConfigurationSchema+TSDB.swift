import ArbiterCore

/// Configuration keys of the in-memory time-series store.
extension ConfigurationSchema {
    static let tsdbFields: [ConfigField] = [
        ConfigField(
            path: "tsdb.sample_interval", summary: "how often the metrics registry is sampled into the time-series store", flag: nil,
            isList: false,
            apply: { config, value, _ in
                positiveDuration(value) { config.tsdbSampleInterval = $0 }
            },
            render: { config, _ in PrometheusDuration.format(config.tsdbSampleInterval) }
        ),
        ConfigField(
            path: "tsdb.retention", summary: "how long samples are kept in memory", flag: nil, isList: false,
            apply: { config, value, _ in
                positiveDuration(value) { config.tsdbRetention = $0 }
            },
            render: { config, _ in PrometheusDuration.format(config.tsdbRetention) }
        ),
        ConfigField(
            path: "tsdb.max_series", summary: "series the time-series store holds at most; new ones beyond are dropped and counted",
            flag: nil, isList: false,
            apply: { config, value, _ in
                positive(value, upTo: 100_000_000) { config.tsdbMaxSeries = $0 }
            },
            render: { config, _ in "\(config.tsdbMaxSeries)" }
        ),
    ]
}
