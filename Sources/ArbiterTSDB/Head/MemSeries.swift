/// One series in memory: its labels and its samples in compressed chunks, oldest first. The last
/// chunk takes appends; a full one is closed and a new one begun.
struct MemSeries: Sendable {
    let labels: Labels
    private(set) var chunks: [XORChunk] = []
    private(set) var lastTimestamp = Int64.min
    private(set) var lastValue = Double.nan

    init(labels: Labels) {
        self.labels = labels
    }

    /// Appends a sample; one not after the last is refused (`false`), as Prometheus refuses
    /// out-of-order samples in its head.
    mutating func append(_ timestamp: Int64, _ value: Double) -> Bool {
        guard timestamp > self.lastTimestamp else { return false }
        // A full chunk, or an integer chunk given a fraction (or a staleness marker), is cut.
        if self.chunks.isEmpty || self.chunks[self.chunks.count - 1].isFull || !self.chunks[self.chunks.count - 1].append(timestamp, value) {
            var chunk = XORChunk()
            chunk.append(timestamp, value)
            self.chunks.append(chunk)
        }
        self.lastTimestamp = timestamp
        self.lastValue = value
        return true
    }

    /// Whether the series' last sample is a staleness marker (it has gone).
    var isStale: Bool { StaleNaN.isStale(self.lastValue) }

    /// Drops the chunks that end before `cutoff`; `false` when nothing is left.
    mutating func truncate(before cutoff: Int64) -> Bool {
        self.chunks.removeAll { $0.maxTime < cutoff }
        return !self.chunks.isEmpty
    }

    var chunkBytes: Int { self.chunks.reduce(0) { $0 + $1.byteCount } }

    var sampleCount: Int { self.chunks.reduce(0) { $0 + $1.count } }

    /// The samples with `from <= t <= to`, in order.
    func samples(from: Int64, to: Int64) -> [Point] {
        var out: [Point] = []
        for chunk in self.chunks where chunk.maxTime >= from && chunk.minTime <= to {
            if out.isEmpty { out.reserveCapacity(chunk.count) }
            chunk.decode(into: &out, from: from, to: to)
        }
        return out
    }
}
