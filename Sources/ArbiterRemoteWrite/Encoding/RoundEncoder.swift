import ArbiterTSDB

/// Turns sampling rounds into remote-write requests for one endpoint: external labels merged in
/// (the series' own win), `write_relabel_configs` applied, a staleness marker for every series the
/// previous round sent and this one lacks, and requests of at most `max_samples_per_send` samples.
/// Each series' labels are packed by protobuf-c once and kept while the series lives. A round lists
/// the registry's series in the same order as the last one, so each sample is first matched against
/// the series at its position in the last round; only a miss hashes its labels.
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

    /// A series seen: the hash of its labels as sampled and the labels last sampled (a sampler that
    /// reuses them round after round makes matching a pointer comparison), its labels as sent
    /// (`nil` when relabelling drops it), the last round it was in, and its position there.
    private struct Entry {
        var hash: UInt64
        var seen: Labels
        var labels: PackedLabels?
        var round: UInt64
        var position: Int32

        mutating func identifies(_ labels: Labels) -> Bool {
            if self.seen.sharesStorage(with: labels) { return true }
            guard self.seen == labels else { return false }
            self.seen = labels
            return true
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
    /// The slot of each series of the last round, in its order.
    private var order: [Int32] = []
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
        var entries: [(labels: PackedLabels, value: Double)] = []
        entries.reserveCapacity(samples.count)
        var order: [Int32] = []
        order.reserveCapacity(samples.count)
        var dropped = 0
        // The position in the last round's order where this round's next sample most likely is.
        var guess = 0
        for (labels, value) in samples {
            let guessed = guess < self.order.count ? Int(self.order[guess]) : nil
            let slot = guessed.flatMap { self.entries[$0]!.round == previous && self.entries[$0]!.identifies(labels) ? $0 : nil }
                ?? self.slot(for: labels)
            // A series from the last round puts the next guess after its old position.
            if self.entries[slot]!.round == previous { guess = Int(self.entries[slot]!.position) + 1 }
            self.entries[slot]!.round = current
            self.entries[slot]!.position = Int32(order.count)
            order.append(Int32(slot))
            if let series = self.entries[slot]!.labels {
                entries.append((series, value))
            } else {
                dropped += 1
            }
        }
        // A series the last round sent and this one lacks ends with a staleness marker, then its
        // labels are let go.
        for slot in self.entries.indices {
            guard let entry = self.entries[slot], entry.round < current else { continue }
            if entry.round == previous, let series = entry.labels { entries.append((series, StaleNaN.value)) }
            self.forget(slot)
        }
        self.order = order
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

    /// The slot of the series with these labels, found by their hash or made for them.
    private func slot(for labels: Labels) -> Int {
        let hash = Self.hash(labels)
        if let slot = self.index.first(hash, where: { self.entries[$0]!.identifies(labels) }) { return slot }
        var pairs = labels.pairs
        for external in self.externalLabels where labels[external.name] == nil { pairs.append(external) }
        pairs.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let kept = RelabelRule.apply(self.relabel, to: pairs).map { $0.filter { !$0.value.isEmpty } }
        let series = kept.map(PackedLabels.make)
        let entry = Entry(hash: hash, seen: labels, labels: series, round: 0, position: 0)
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
        return slot
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
