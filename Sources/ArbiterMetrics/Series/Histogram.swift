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
    private let boundCount: Int
    private let counts: UnsafeMutablePointer<Atomic<UInt64>>
    private let sumBits = Atomic<UInt64>(0)
    /// `a="x",b="y"` (empty without labels).
    let pairs: [UInt8]

    init(buckets: HistogramBuckets, pairs: [UInt8]) {
        self.buckets = buckets
        self.pairs = pairs
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
        var current = self.sumBits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + value).bitPattern
            let (exchanged, seen) = self.sumBits.weakCompareExchange(
                expected: current, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            current = seen
        }
    }

    /// Records a duration in seconds.
    /// - Parameter duration: The observed duration.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.observe(Double(seconds) + Double(attoseconds) * 1e-18)
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

    func render(into out: inout [UInt8], name: String, format: ExpositionFormat) {
        let les = format == .text ? self.buckets.textLE : self.buckets.openMetricsLE
        var running: UInt64 = 0
        for index in 0...self.boundCount {
            running &+= self.counts[index].load(ordering: .relaxed)
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "_bucket{".utf8)
            if !self.pairs.isEmpty {
                out.append(contentsOf: self.pairs)
                out.append(UInt8(ascii: ","))
            }
            out.append(contentsOf: les[index])
            Self.appendCount(running, to: &out, format: format)
        }
        self.appendSeriesName(name, suffix: "_sum", to: &out)
        switch format {
        case .text: NumberFormatting.appendText(self.sum, to: &out)
        case .openMetrics: NumberFormatting.appendOpenMetrics(self.sum, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        self.appendSeriesName(name, suffix: "_count", to: &out)
        Self.appendCount(running, to: &out, format: format)
    }

    /// `name_sum{labels} `
    private func appendSeriesName(_ name: String, suffix: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        let bytes = UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
        out.append(contentsOf: bytes)
        if !self.pairs.isEmpty {
            out.append(UInt8(ascii: "{"))
            out.append(contentsOf: self.pairs)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
    }

    /// Counts are integers in OpenMetrics; text 0.0.4 writes every value as a Go float.
    private static func appendCount(_ count: UInt64, to out: inout [UInt8], format: ExpositionFormat) {
        switch format {
        case .text: NumberFormatting.appendText(Double(count), to: &out)
        case .openMetrics: NumberFormatting.appendUnsigned(count, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }
}
