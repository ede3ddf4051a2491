import ArbiterCore
import Synchronization

/// Observations counted into classic buckets. Keep the handle: `observe` is a bucket search, one
/// atomic add and one compare-and-swap on the sum, with no lock.
///
/// Buckets are counted non-cumulatively and summed at render time, and `_count` is derived from the
/// buckets, so a scrape always shows `_count` equal to the `+Inf` bucket even while observations land.
// Safety (@unchecked Sendable): `counts` is allocated once in init, freed in deinit, and only touched
// through atomics in between.
public final class Histogram: @unchecked Sendable {
    let buckets: HistogramBuckets
    private let bounds: UnsafeMutablePointer<Double>
    let boundCount: Int
    private let counts: UnsafeMutablePointer<Atomic<UInt64>>
    private let sumBits = Atomic<UInt64>(0)
    /// Sample names with labels, rendered once.
    let names: RenderedNames
    let maxRenderedBytes: Int

    /// Owns the memory `names` points into.
    private let arena: SeriesArena

    init(name: String, buckets: HistogramBuckets, pairs: [UInt8], arena: SeriesArena) {
        self.buckets = buckets
        self.arena = arena
        self.names = RenderedNames(name: name, pairs: pairs, arena: arena)
        self.maxRenderedBytes = self.names.maxRenderedBytes(buckets: buckets)
        self.boundCount = buckets.bounds.count
        self.bounds = .allocate(capacity: self.boundCount)
        _ = UnsafeMutableBufferPointer(start: self.bounds, count: self.boundCount).initialize(from: buckets.bounds)
        self.counts = .allocate(capacity: self.boundCount + 1)
        for index in 0...self.boundCount {
            (self.counts + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        self.counts.deinitialize(count: self.boundCount + 1)
        self.counts.deallocate()
        self.bounds.deallocate()
    }

    /// Records one observation. NaN lands in the `+Inf` bucket and makes the sum NaN, as in the Go client.
    /// - Parameter value: The observed value.
    public func observe(_ value: Double) {
        self.counts[self.bucketIndex(value)].wrappingAdd(1, ordering: .relaxed)
        self.sumBits.addDouble(value)
    }

    /// Records a duration in seconds.
    /// - Parameter duration: The observed duration.
    public func observe(_ duration: Duration) {
        self.observe(duration.seconds)
    }

    /// The number of observations so far.
    public var count: UInt64 {
        var total: UInt64 = 0
        for index in 0...self.boundCount { total &+= self.counts[index].load(ordering: .relaxed) }
        return total
    }

    /// The sum of observations so far.
    public var sum: Double { Double(bitPattern: self.sumBits.load(ordering: .relaxed)) }

    /// Cumulative counts per bucket, the last being `+Inf`.
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return (0...self.boundCount).map { index in
            running &+= self.counts[index].load(ordering: .relaxed)
            return running
        }
    }

    @inline(__always)
    func bucketCount(_ index: Int) -> UInt64 {
        self.counts[index].load(ordering: .relaxed)
    }

    /// Sets everything back to zero.
    public func reset() {
        for index in 0...self.boundCount { self.counts[index].store(0, ordering: .relaxed) }
        self.sumBits.store(0, ordering: .relaxed)
    }

    @inline(__always)
    private func bucketIndex(_ value: Double) -> Int {
        // A linear scan beats binary search for the usual dozen buckets (the Go client switches at 35).
        if self.boundCount < 32 {
            var index = 0
            while index < self.boundCount, self.bounds[index] < value { index += 1 }
            return index
        }
        var low = 0
        var high = self.boundCount
        while low < high {
            let mid = (low + high) >> 1
            if self.bounds[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
