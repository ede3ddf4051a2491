import Synchronization

/// The in-memory time-series store: series by reference, a postings index over their labels,
/// samples in Gorilla chunks, retention, a limit on series, and staleness markers.
///
/// Samples arrive in rounds (one timestamp for a whole sampling of the registry): a series that was
/// in the previous round and is missing from this one gets a staleness marker at this round's time,
/// as Prometheus writes one when a scraped series disappears.
public final class Head: Sendable {
    public struct Options: Sendable {
        /// How long samples are kept.
        public var retention: Duration
        /// Series held at most; samples of new series beyond it are dropped (and counted).
        public var maxSeries: Int

        public init(retention: Duration = .seconds(7200), maxSeries: Int = 1_000_000) {
            self.retention = retention
            self.maxSeries = maxSeries
        }
    }

    /// What one round did.
    public struct Round: Sendable, Equatable {
        public var appended = 0
        /// Series that were missing from the round and got a staleness marker.
        public var staleMarked = 0
        /// Samples of new series refused because the head holds `maxSeries` already.
        public var droppedOverLimit = 0
        /// Samples not after their series' last one.
        public var outOfOrder = 0
    }

    private struct State {
        /// By reference (index 0 unused); `nil` once truncated away.
        var series: [MemSeries?] = [nil]
        var seriesCount = 0
        var references: [Labels: UInt64] = [:]
        var postings = Postings()
        var nextReference: UInt64 = 1
        /// Series that took a real (not stale) sample in the last round.
        var live: Set<UInt64> = []
        var samplesAppended = 0
    }

    public let options: Options
    private let state = Mutex(State())

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Appends one sampling round, all at `timestamp` (Unix ms), and marks the series that went
    /// missing since the last round stale.
    @discardableResult
    public func append(round samples: [(Labels, Double)], at timestamp: Int64) -> Round {
        self.state.withLock { state in
            var round = Round()
            var seen: Set<UInt64> = []
            seen.reserveCapacity(samples.count)
            for (labels, value) in samples {
                guard let reference = Self.reference(for: labels, in: &state, limit: self.options.maxSeries) else {
                    round.droppedOverLimit += 1
                    continue
                }
                if state.series[Int(reference)]!.append(timestamp, value) {
                    round.appended += 1
                    seen.insert(reference)
                } else {
                    round.outOfOrder += 1
                }
            }
            for reference in state.live.subtracting(seen) where state.series[Int(reference)]?.isStale == false {
                if state.series[Int(reference)]!.append(timestamp, StaleNaN.value) { round.staleMarked += 1 }
            }
            state.live = seen.filter { !(state.series[Int($0)]?.isStale ?? true) }
            state.samplesAppended += round.appended + round.staleMarked
            return round
        }
    }

    /// Appends one sample outside the round cycle (no staleness marking): for loading test data
    /// and rule unit tests. `false` when out of order or over the series limit.
    @discardableResult
    public func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool {
        self.state.withLock { state in
            guard let reference = Self.reference(for: labels, in: &state, limit: self.options.maxSeries),
                state.series[Int(reference)]!.append(timestamp, value)
            else { return false }
            state.samplesAppended += 1
            return true
        }
    }

    private static func reference(for labels: Labels, in state: inout State, limit: Int) -> UInt64? {
        if let known = state.references[labels] { return known }
        guard state.seriesCount < limit else { return nil }
        let reference = state.nextReference
        state.nextReference += 1
        state.series.append(MemSeries(labels: labels))
        state.seriesCount += 1
        state.references[labels] = reference
        state.postings.add(reference, labels)
        return reference
    }

    /// Drops samples older than the retention as of `now`, and series left with none.
    public func truncate(now: Int64) {
        let cutoff = now - Int64(self.options.retention.components.seconds) * 1000
        self.state.withLock { state in
            var gone: Set<UInt64> = []
            for index in state.series.indices where state.series[index] != nil {
                if !state.series[index]!.truncate(before: cutoff) { gone.insert(UInt64(index)) }
            }
            guard !gone.isEmpty else { return }
            state.postings.remove(gone) { state.series[Int($0)]?.labels }
            for reference in gone {
                if let labels = state.series[Int(reference)]?.labels { state.references.removeValue(forKey: labels) }
                state.series[Int(reference)] = nil
            }
            state.seriesCount -= gone.count
            state.live.subtract(gone)
        }
    }

    /// The series the matchers select, with their samples in `[from, to]` (series with none in the
    /// range are left out), in reference order.
    public func select(_ matchers: [LabelMatcher], from: Int64, to: Int64) -> [(labels: Labels, samples: [Point])] {
        self.state.withLock { state in
            state.postings.select(matchers).compactMap { reference in
                guard let series = state.series[Int(reference)] else { return nil }
                let samples = series.samples(from: from, to: to)
                return samples.isEmpty ? nil : (series.labels, samples)
            }
        }
    }

    /// Compressed bytes and samples held by the series the matchers select (to see what costs what).
    public func footprint(matching matchers: [LabelMatcher]) -> (bytes: Int, samples: Int) {
        self.state.withLock { state in
            var total = (bytes: 0, samples: 0)
            for reference in state.postings.select(matchers) {
                guard let series = state.series[Int(reference)] else { continue }
                total.bytes += series.chunkBytes
                total.samples += series.sampleCount
            }
            return total
        }
    }

    /// Label names in use, sorted.
    public func labelNames() -> [String] {
        self.state.withLock { Array($0.postings.byLabel.keys).sorted() }
    }

    /// The values a label takes, sorted.
    public func labelValues(_ name: String) -> [String] {
        self.state.withLock { Array(($0.postings.byLabel[name] ?? [:]).keys).sorted() }
    }

    /// For `arbiter_tsdb_head_*`.
    public struct Statistics: Sendable, Equatable {
        public var series: Int
        public var samplesAppended: Int
        public var chunkBytes: Int
    }

    public func statistics() -> Statistics {
        self.state.withLock { state in
            Statistics(
                series: state.seriesCount, samplesAppended: state.samplesAppended,
                chunkBytes: state.series.reduce(0) { $0 + ($1?.chunkBytes ?? 0) })
        }
    }
}
