import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterRemoteWrite
import ArbiterTSDB
import AsyncAlgorithms
import Logging
import ServiceLifecycle

/// Samples the metrics registry into the time-series head every `interval`, one timestamp a round,
/// the way a scrape of `/metrics` would see it, and hands each round to the remote-write endpoints;
/// then drops what is past retention.
///
/// In a cluster every replica samples every replica: it hands its registry to the others and takes
/// theirs (``Cluster/exchange``), each sample labelled with its replica's `instance`, so that every
/// replica's rules, queries and capacity plan see the whole cluster alike. Only the leader remote-writes.
/// `arbiter_tsdb_head_series`, `arbiter_tsdb_head_samples_appended_total`,
/// `arbiter_tsdb_head_chunks_bytes` and `arbiter_tsdb_head_series_dropped_total` tell how it goes.
struct RegistrySampler: Service {
    /// How a replica of a cluster shares its registry.
    struct Cluster: Sendable {
        /// This replica's `instance` label.
        let instance: String
        /// Hands this replica's rendered registry to the others; returns theirs, by replica id (`nil`
        /// when they cannot be reached).
        let exchange: @Sendable ([UInt8]) async -> [(replica: String, text: [UInt8])]?
        /// Whether this replica remote-writes (the leader).
        let leadership: Leadership
    }

    let registry: MetricRegistry
    let head: Head
    let interval: Duration
    let remoteWrite: RemoteWriteService?
    let cluster: Cluster?
    let logger: Logger
    let series: Gauge
    let appended: Counter
    let chunkBytes: Gauge
    let dropped: Counter

    init(registry: MetricRegistry, head: Head, interval: Duration, remoteWrite: RemoteWriteService? = nil, cluster: Cluster? = nil, logger: Logger) throws {
        self.registry = registry
        self.cluster = cluster
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
        let readers = Readers(instance: self.cluster?.instance)
        for try await _ in AsyncTimerSequence(interval: self.interval, clock: .continuous).cancelOnGracefulShutdown() {
            let text = self.render()
            var peers: [(replica: String, text: [UInt8])] = []
            if let cluster = self.cluster { peers = readers.peers(after: await cluster.exchange(text)) }
            self.sample(at: WallClock.nowMilliseconds(), text: text, peers: peers, readers: readers)
        }
    }

    /// The registry as a scrape would read it.
    func render() -> [UInt8] {
        var text: [UInt8] = []
        self.registry.render(.text, into: &text)
        return text
    }

    /// One round: this replica's registry and the others' (in a cluster) as one round of samples.
    func sample(at timestamp: Int64, text: [UInt8], peers: [(replica: String, text: [UInt8])] = [], readers: Readers) {
        var samples: [(Labels, Double)]
        do {
            samples = try readers.local.read(text)
        } catch {
            // Skipped whole: a round without this replica's series would mark them all stale.
            self.logger.error("sampling the metrics registry failed", metadata: ["error": "\(error)"])
            return
        }
        for peer in peers {
            do {
                samples += try readers.peer(peer.replica).read(peer.text)
            } catch {
                self.logger.warning("a replica's metrics could not be read", metadata: ["replica": "\(peer.replica)", "error": "\(error)"])
            }
        }
        readers.forget(except: Set(peers.map(\.replica)))
        let round = self.head.append(round: samples, at: timestamp)
        if self.cluster?.leadership.leads ?? true { self.remoteWrite?.append(round: samples, at: timestamp) }
        self.appended.increment(by: round.appended + round.staleMarked)
        if round.droppedOverLimit > 0 { self.dropped.increment(by: round.droppedOverLimit) }
        self.head.truncate(now: timestamp)
        let statistics = self.head.statistics()
        self.series.set(Double(statistics.series))
        self.chunkBytes.set(Double(statistics.chunkBytes))
    }

    /// A round reader for this replica's registry and one for each other replica's, each adding its
    /// replica's `instance` label in a cluster.
    final class Readers: @unchecked Sendable {
        // Used by one sampling round at a time (the sampler's loop, or the round before it starts).
        let local: ExpositionRoundReader
        private var peers: [String: ExpositionRoundReader] = [:]
        /// The other replicas' registries as last fetched, and the rounds since they could not be.
        private var lastPeers: [(replica: String, text: [UInt8])] = []
        private var missed = 0
        /// Rounds a blip in reaching the others is bridged with their last registries, before their
        /// series are let go stale (the time their registries are kept in Redis).
        static let bridged = 3

        /// The other replicas' registries to sample: `fetched`, or while they could not be fetched,
        /// the last ones for ``bridged`` rounds (so a blip does not mark every series of theirs stale).
        func peers(after fetched: [(replica: String, text: [UInt8])]?) -> [(replica: String, text: [UInt8])] {
            if let fetched {
                self.lastPeers = fetched
                self.missed = 0
                return fetched
            }
            self.missed += 1
            return self.missed <= Self.bridged ? self.lastPeers : []
        }

        init(instance: String?) {
            self.local = ExpositionRoundReader(adding: instance.map { [("instance", $0)] } ?? [])
        }

        func peer(_ replica: String) -> ExpositionRoundReader {
            if let reader = self.peers[replica] { return reader }
            let reader = ExpositionRoundReader(adding: [("instance", replica)])
            self.peers[replica] = reader
            return reader
        }

        /// Drops the readers of replicas that are gone.
        func forget(except alive: Set<String>) {
            self.peers = self.peers.filter { alive.contains($0.key) }
        }
    }
}
