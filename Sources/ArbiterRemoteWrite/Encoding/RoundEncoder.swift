import ArbiterTSDB

/// Turns sampling rounds into remote-write requests for one endpoint: external labels merged in
/// (the series' own win), `write_relabel_configs` applied, a staleness marker for every series the
/// previous round sent and this one lacks, and requests of at most `max_samples_per_send` samples.
/// Each series' labels are built as protobuf-c messages once and kept while the series lives.
final class RoundEncoder {
    /// One request, compressed, and what it carries.
    struct Block: Sendable {
        var payload: [UInt8]
        var samples: Int
    }

    private let externalLabels: [(name: String, value: String)]
    private let relabel: [RelabelRule]
    private let encoder: WriteRequestEncoder
    /// Per series sampled: its labels as sent, or `nil` when relabelling drops it.
    private var cache: [Labels: SeriesLabels?] = [:]
    /// The series the last round sent.
    private var live: Set<Labels> = []
    private(set) var cachedBytes = 0
    /// Series the last round dropped by relabelling.
    private(set) var droppedSeries = 0

    init(externalLabels: [String: String], relabel: [RelabelRule], maxSamplesPerSend: Int) {
        self.externalLabels = externalLabels.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (name: $0.key, value: $0.value) }
        self.relabel = relabel
        self.encoder = WriteRequestEncoder(capacity: maxSamplesPerSend)
    }

    /// The requests for one round at `timestamp`.
    func encode(_ round: [(Labels, Double)], at timestamp: Int64) -> [Block] {
        var entries: [(labels: SeriesLabels, value: Double)] = []
        entries.reserveCapacity(round.count)
        var seen: Set<Labels> = []
        seen.reserveCapacity(round.count)
        var dropped = 0
        for (labels, value) in round {
            guard let series = self.labels(for: labels) else {
                dropped += 1
                continue
            }
            seen.insert(labels)
            entries.append((series, value))
        }
        // A series that went away ends with a staleness marker, then its labels are let go.
        for gone in self.live.subtracting(seen) {
            if let series = self.cache[gone] ?? nil { entries.append((series, StaleNaN.value)) }
        }
        for gone in self.live.subtracting(seen) {
            if let series = self.cache.removeValue(forKey: gone) ?? nil { self.cachedBytes -= series.bytes }
        }
        self.live = seen
        self.droppedSeries = dropped
        var blocks: [Block] = []
        var start = 0
        while start < entries.count {
            let end = min(entries.count, start + self.encoder.capacity)
            blocks.append(Block(payload: self.encoder.encode(entries[start..<end], timestamp: timestamp), samples: end - start))
            start = end
        }
        return blocks
    }

    private func labels(for labels: Labels) -> SeriesLabels? {
        if let cached = self.cache[labels] { return cached }
        var pairs = labels.pairs
        for external in self.externalLabels where labels[external.name] == nil { pairs.append(external) }
        pairs.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let kept = RelabelRule.apply(self.relabel, to: pairs).map { $0.filter { !$0.value.isEmpty } }
        let series = kept.map(SeriesLabels.init)
        self.cache[labels] = .some(series)
        if let series { self.cachedBytes += series.bytes }
        return series
    }
}
