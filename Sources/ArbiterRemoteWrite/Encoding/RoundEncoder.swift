import ArbiterTSDB

/// Turns sampling rounds into remote-write requests for one endpoint: external labels merged in
/// (the series' own win), `write_relabel_configs` applied, a staleness marker for every series the
/// previous round sent and this one lacks, and requests of at most `max_samples_per_send` samples.
/// Each series' labels are built as protobuf-c messages once and kept while the series lives.
public final class RoundEncoder {
    /// One request, compressed, and what it carries.
    public struct Block: Sendable {
        public var payload: [UInt8]
        public var samples: Int

        public init(payload: [UInt8], samples: Int) {
            self.payload = payload
            self.samples = samples
        }
    }

    /// A series seen: its labels as sent (`nil` when relabelling drops it), the hash of its labels
    /// as sampled, the last round it was in, and the sampled labels only when they differ from
    /// those sent (external labels or relabelling changed them); otherwise the sent ones identify it.
    private struct Entry {
        var hash: UInt64
        var key: Labels?
        var labels: SeriesLabels?
        var round: UInt64

        func identifies(_ labels: Labels) -> Bool {
            if let key = self.key { return key == labels }
            return self.labels?.equals(labels) ?? false
        }
    }

    private let externalLabels: [(name: String, value: String)]
    private let relabel: [RelabelRule]
    private let encoder: WriteRequestEncoder
    /// Series by a 64-bit FNV-1a hash of their labels (cheaper than hashing `Labels` with SipHash
    /// each round); entries with the same hash are told apart by their labels.
    private var index = HashSlots()
    private var entries: [Entry?] = []
    private var free: [Int] = []
    private var round: UInt64 = 0
    private(set) var cachedBytes = 0
    /// Series the last round dropped by relabelling.
    private(set) var droppedSeries = 0

    public init(externalLabels: [String: String], relabel: [RelabelRule], maxSamplesPerSend: Int) {
        self.externalLabels = externalLabels.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { (name: $0.key, value: $0.value) }
        self.relabel = relabel
        self.encoder = WriteRequestEncoder(capacity: maxSamplesPerSend)
    }

    /// The requests for one round at `timestamp`.
    public func encode(_ samples: [(Labels, Double)], at timestamp: Int64) -> [Block] {
        self.round += 1
        let (current, previous) = (self.round, self.round - 1)
        var entries: [(labels: SeriesLabels, value: Double)] = []
        entries.reserveCapacity(samples.count)
        var dropped = 0
        for (labels, value) in samples {
            let series = self.stamp(labels, round: current)
            guard let series else {
                dropped += 1
                continue
            }
            entries.append((series, value))
        }
        // A series the last round sent and this one lacks ends with a staleness marker, then its
        // labels are let go.
        for slot in self.entries.indices {
            guard let entry = self.entries[slot], entry.round < current else { continue }
            if entry.round == previous, let series = entry.labels { entries.append((series, StaleNaN.value)) }
            self.forget(slot)
        }
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

    /// The series' labels as sent, marking it seen in `round`: one hash lookup for a known series.
    private func stamp(_ labels: Labels, round: UInt64) -> SeriesLabels? {
        let hash = Self.hash(labels)
        if let slot = self.index.first(hash, where: { self.entries[$0]!.identifies(labels) }) {
            self.entries[slot]!.round = round
            return self.entries[slot]!.labels
        }
        var pairs = labels.pairs
        for external in self.externalLabels where labels[external.name] == nil { pairs.append(external) }
        pairs.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let kept = RelabelRule.apply(self.relabel, to: pairs).map { $0.filter { !$0.value.isEmpty } }
        let series = kept.map(SeriesLabels.init)
        let entry = Entry(hash: hash, key: series?.equals(labels) == true ? nil : labels, labels: series, round: round)
        let slot: Int
        if let reused = self.free.popLast() {
            self.entries[reused] = entry
            slot = reused
        } else {
            slot = self.entries.count
            self.entries.append(entry)
        }
        self.index.insert(hash, slot: slot)
        if let series { self.cachedBytes += series.bytes }
        return series
    }

    private func forget(_ slot: Int) {
        guard let entry = self.entries[slot] else { return }
        self.index.remove(entry.hash, slot: slot)
        self.entries[slot] = nil
        self.free.append(slot)
        if let series = entry.labels { self.cachedBytes -= series.bytes }
    }

    /// FNV-1a over every name and value, with a separator byte between them.
    static func hash(_ labels: Labels) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for pair in labels.pairs {
            for byte in pair.name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0xff) &* 0x100_0000_01b3
            for byte in pair.value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = (hash ^ 0xfe) &* 0x100_0000_01b3
        }
        return hash
    }
}
