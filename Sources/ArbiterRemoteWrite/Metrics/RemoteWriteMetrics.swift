import ArbiterMetrics

/// `arbiter_remote_storage_*{remote_name,url}`, mirroring Prometheus's `prometheus_remote_storage_*`,
/// and the disk buffer's `arbiter_remote_write_buffer_*`. Families are registered once and each
/// endpoint takes its own series.
public struct RemoteWriteMetrics: Sendable {
    let samples: CounterFamily
    let failed: CounterFamily
    let retried: CounterFamily
    let dropped: CounterFamily
    let bytes: CounterFamily
    let pending: GaugeFamily
    let shards: GaugeFamily
    let shardsDesired: GaugeFamily
    let shardsMin: GaugeFamily
    let shardsMax: GaugeFamily
    let highest: GaugeFamily
    let highestSent: GaugeFamily
    let batchDuration: HistogramFamily
    let bufferBytes: GaugeFamily
    let truncations: CounterFamily

    public init(registry: MetricRegistry) throws {
        let labels = ["remote_name", "url"]
        func counter(_ name: String, _ help: String, _ extra: [String] = []) throws -> CounterFamily {
            try registry.counterFamily(name, help: help, labelNames: labels + extra)
        }
        func gauge(_ name: String, _ help: String) throws -> GaugeFamily {
            try registry.gaugeFamily(name, help: help, labelNames: labels)
        }
        self.samples = try counter("arbiter_remote_storage_samples_total", "Samples delivered to the remote storage.")
        self.failed = try counter("arbiter_remote_storage_samples_failed_total", "Samples the remote storage refused for good (4xx, or 429 without retry_on_http_429).")
        self.retried = try counter("arbiter_remote_storage_samples_retried_total", "Samples sent again after a network error, a 5xx or a retried 429.")
        self.dropped = try counter(
            "arbiter_remote_storage_samples_dropped_total", "Samples not sent: buffer_full (the oldest on disk, over disk.max_bytes), buffer_write_failed (a round the disk buffer could not take), dropped_series (write_relabel_configs).",
            ["reason"])
        self.bytes = try counter("arbiter_remote_storage_bytes_total", "Compressed request bytes delivered.")
        self.pending = try gauge("arbiter_remote_storage_samples_pending", "Samples on disk not yet delivered.")
        self.shards = try gauge("arbiter_remote_storage_shards", "Requests sent in parallel now.")
        self.shardsDesired = try gauge("arbiter_remote_storage_shards_desired", "Shards the measured throughput asks for.")
        self.shardsMin = try gauge("arbiter_remote_storage_shards_min", "queue_config.min_shards.")
        self.shardsMax = try gauge("arbiter_remote_storage_shards_max", "queue_config.max_shards.")
        self.highest = try gauge("arbiter_remote_storage_queue_highest_timestamp_seconds", "Timestamp of the newest sample queued.")
        self.highestSent = try gauge("arbiter_remote_storage_queue_highest_sent_timestamp_seconds", "Timestamp of the newest sample delivered.")
        self.batchDuration = try registry.histogramFamily(
            "arbiter_remote_storage_sent_batch_duration_seconds", help: "Time to send one request, retries not included.", labelNames: labels,
            buckets: try HistogramBuckets([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300]))
        self.bufferBytes = try gauge("arbiter_remote_write_buffer_bytes", "Bytes of the endpoint's disk buffer.")
        self.truncations = try counter(
            "arbiter_remote_write_buffer_truncations_total", "Torn or corrupt records cut off the disk buffer at start (what came before them is kept).")
    }

    /// One endpoint's series.
    struct Endpoint: Sendable {
        let samples: Counter
        let failed: Counter
        let retried: Counter
        let droppedBufferFull: Counter
        let droppedWriteFailed: Counter
        let droppedSeries: Counter
        let bytes: Counter
        let pending: Gauge
        let shards: Gauge
        let shardsDesired: Gauge
        let highest: Gauge
        let highestSent: Gauge
        let batchDuration: Histogram
        let bufferBytes: Gauge
        let truncations: Counter
    }

    func endpoint(name: String, url: String, minShards: Int, maxShards: Int) throws -> Endpoint {
        let labels = [name, url]
        try self.shardsMin.labels(labels).set(Double(minShards))
        try self.shardsMax.labels(labels).set(Double(maxShards))
        return Endpoint(
            samples: try self.samples.labels(labels), failed: try self.failed.labels(labels), retried: try self.retried.labels(labels),
            droppedBufferFull: try self.dropped.labels(labels + ["buffer_full"]),
            droppedWriteFailed: try self.dropped.labels(labels + ["buffer_write_failed"]), droppedSeries: try self.dropped.labels(labels + ["dropped_series"]),
            bytes: try self.bytes.labels(labels), pending: try self.pending.labels(labels), shards: try self.shards.labels(labels),
            shardsDesired: try self.shardsDesired.labels(labels), highest: try self.highest.labels(labels),
            highestSent: try self.highestSent.labels(labels), batchDuration: try self.batchDuration.labels(labels),
            bufferBytes: try self.bufferBytes.labels(labels), truncations: try self.truncations.labels(labels))
    }
}
