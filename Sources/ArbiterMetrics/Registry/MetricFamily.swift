import NIOCore

/// Series sharing a name, a type and label names, one series per label-value combination.
///
/// Use the aliases ``CounterFamily``, ``GaugeFamily`` and ``HistogramFamily``; families come from
/// ``MetricRegistry``.
public final class MetricFamily<Series: AnyObject & Sendable>: RenderableFamily {
    /// What the family is.
    public let descriptor: FamilyDescriptor
    let series: SeriesIndex<Series>
    private let writeSeries: @Sendable (UnsafeMutableRawPointer, ExpositionFormat, UnsafeMutablePointer<UInt8>) -> Int

    init(
        descriptor: FamilyDescriptor,
        limit: Int,
        make: @escaping @Sendable ([UInt8]) -> Series,
        measure: @escaping @Sendable (Series) -> Int,
        handle: @escaping @Sendable (Series) -> UnsafeMutableRawPointer,
        write: @escaping @Sendable (UnsafeMutableRawPointer, ExpositionFormat, UnsafeMutablePointer<UInt8>) -> Int,
        onDrop: @escaping @Sendable () -> Void
    ) {
        self.descriptor = descriptor
        self.writeSeries = write
        self.series = SeriesIndex(
            family: descriptor.name, labelNames: descriptor.labelNames, limit: limit, make: make, measure: measure, handle: handle,
            onDrop: onDrop)
    }

    /// The series for these label values, created on first use. Keep it: a lookup costs a hash.
    /// - Parameter values: One value per label name, in registration order.
    /// - Returns: The series; once the family's series limit is reached, a detached one that is not exposed.
    /// - Throws: ``MetricsError`` when the values do not match the label names.
    public func labels(_ values: String...) throws(MetricsError) -> Series {
        try self.series.series(values)
    }

    /// The series for these label values, created on first use.
    /// - Parameter values: One value per label name, in registration order.
    /// - Returns: The series; once the family's series limit is reached, a detached one that is not exposed.
    /// - Throws: ``MetricsError`` when the values do not match the label names.
    public func labels(_ values: [String]) throws(MetricsError) -> Series {
        try self.series.series(values)
    }

    /// The number of series created so far.
    public var seriesCount: Int { self.series.table.count }

    func render(into out: inout ByteBuffer, format: ExpositionFormat) {
        let count = self.series.table.count
        guard count > 0 else { return }
        switch format {
        case .text: out.writeBytes(self.descriptor.textHeader)
        case .openMetrics: out.writeBytes(self.descriptor.openMetricsHeader)
        }
        // Series are written in chunks straight into the buffer's memory: one reservation per chunk,
        // not per series.
        let largest = self.series.maxRenderedBytes
        let chunk = max(Self.chunkBytes, largest)
        var next = 0
        while next < count {
            out.writeExposition(maxBytes: chunk) { base in
                var written = 0
                next = self.series.table.forEach(from: next, to: count) { series in
                    guard chunk - written >= largest else { return false }
                    written += self.writeSeries(series, format, base + written)
                    return true
                }
                return written
            }
        }
    }

    private static var chunkBytes: Int { 256 * 1024 }
}

/// Counters sharing a name and label names.
public typealias CounterFamily = MetricFamily<Counter>
/// Gauges sharing a name and label names.
public typealias GaugeFamily = MetricFamily<Gauge>
/// Histograms sharing a name, label names and buckets.
public typealias HistogramFamily = MetricFamily<Histogram>
