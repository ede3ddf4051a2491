import ArbiterCore
import ArbiterMetrics
import ArbiterRemoteWrite
import ArbiterTSDB
import AsyncAlgorithms
import Logging
import ServiceLifecycle

/// Samples the metrics registry into the time-series head every `interval`, one timestamp a round,
/// the way a scrape of `/metrics` would see it, and hands each round to the remote-write endpoints;
/// then drops what is past retention.
/// `arbiter_tsdb_head_series`, `arbiter_tsdb_head_samples_appended_total`,
/// `arbiter_tsdb_head_chunks_bytes` and `arbiter_tsdb_head_series_dropped_total` tell how it goes.
struct RegistrySampler: Service {
    let registry: MetricRegistry
    let head: Head
    let interval: Duration
    let remoteWrite: RemoteWriteService?
    let logger: Logger
    let series: Gauge
    let appended: Counter
    let chunkBytes: Gauge
    let dropped: Counter

    init(registry: MetricRegistry, head: Head, interval: Duration, remoteWrite: RemoteWriteService? = nil, logger: Logger) throws {
        self.registry = registry
        self.head = head
        self.interval = interval
        self.remoteWrite = remoteWrite
        self.logger = logger
        self.series = try registry.gauge("arbiter_tsdb_head_series", help: "Series in the in-memory time-series store.")
        self.appended = try registry.counter(
            "arbiter_tsdb_head_samples_appended_total", help: "Samples appended to the time-series store, staleness markers included.")
        self.chunkBytes = try registry.gauge(
            "arbiter_tsdb_head_chunks_bytes", help: "Bytes of compressed samples held by the time-series store.", unit: "bytes")
        self.dropped = try registry.counter(
            "arbiter_tsdb_head_series_dropped_total", help: "Samples of new series refused because the store holds tsdb.max_series.")
    }

    func run() async throws {
        // Unchanged series get last round's labels back from the reader: no parse, no allocation.
        let reader = ExpositionRoundReader()
        for try await _ in AsyncTimerSequence(interval: self.interval, clock: .continuous).cancelOnGracefulShutdown() {
            self.sample(at: WallClock.nowMilliseconds(), reader: reader)
        }
    }

    /// One round.
    func sample(at timestamp: Int64, reader: ExpositionRoundReader) {
        var text: [UInt8] = []
        self.registry.render(.text, into: &text)
        do {
            let samples = try reader.read(text)
            let round = self.head.append(round: samples, at: timestamp)
            self.remoteWrite?.append(round: samples, at: timestamp)
            self.appended.increment(by: round.appended + round.staleMarked)
            if round.droppedOverLimit > 0 { self.dropped.increment(by: round.droppedOverLimit) }
        } catch {
            self.logger.error("sampling the metrics registry failed", metadata: ["error": "\(error)"])
        }
        self.head.truncate(now: timestamp)
        let statistics = self.head.statistics()
        self.series.set(Double(statistics.series))
        self.chunkBytes.set(Double(statistics.chunkBytes))
    }
}
