import ArbiterCore

/// Configuration keys of the in-memory time-series store and of the capacity planning that reads it.
extension ConfigurationSchema {
    static let tsdbFields: [ConfigField] = [
        duration("tsdb.sample_interval", "how often the metrics registry is sampled into the time-series store", \.tsdbSampleInterval),
        duration("tsdb.retention", "how long samples are kept in memory", \.tsdbRetention),
        count("tsdb.max_series", "series the time-series store holds at most; new ones beyond are dropped and counted", upTo: 100_000_000, \.tsdbMaxSeries),
        duration("capacity.window", "how much recent data capacity planning reads (arrival rate, service time)", \.capacityWindow),
        duration("capacity.target_wait", "the mean queue wait capacity planning sizes each job type for (Erlang C)", \.capacityTargetWait),
    ]
}
