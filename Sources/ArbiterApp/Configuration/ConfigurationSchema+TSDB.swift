import ArbiterCore

/// Configuration keys of the in-memory time-series store.
extension ConfigurationSchema {
    static let tsdbFields: [ConfigField] = [
        duration("tsdb.sample_interval", "how often the metrics registry is sampled into the time-series store", \.tsdbSampleInterval),
        duration("tsdb.retention", "how long samples are kept in memory", \.tsdbRetention),
        count("tsdb.max_series", "series the time-series store holds at most; new ones beyond are dropped and counted", upTo: 100_000_000, \.tsdbMaxSeries),
    ]
}
