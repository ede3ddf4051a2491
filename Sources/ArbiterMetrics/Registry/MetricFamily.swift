/// Series sharing a name, a type and label names, one series per label-value combination.
///
/// Use the aliases ``CounterFamily``, ``GaugeFamily`` and ``HistogramFamily``; families come from
/// ``MetricRegistry``.
public final class MetricFamily<Series: AnyObject & Sendable>: RenderableFamily {
    /// What the family is.
    public let descriptor: FamilyDescriptor
    let series: SeriesIndex<Series>
    private let renderSeries: @Sendable (Series, inout [UInt8], ExpositionFormat) -> Void

    init(
        descriptor: FamilyDescriptor,
        limit: Int,
        make: @escaping @Sendable ([UInt8]) -> Series,
        render: @escaping @Sendable (Series, inout [UInt8], ExpositionFormat) -> Void,
        onDrop: @escaping @Sendable () -> Void
    ) {
        self.descriptor = descriptor
        self.renderSeries = render
        self.series = SeriesIndex(family: descriptor.name, labelNames: descriptor.labelNames, limit: limit, make: make, onDrop: onDrop)
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

    func render(into out: inout [UInt8], format: ExpositionFormat) {
        guard self.series.table.count > 0 else { return }
        switch format {
        case .text: out.append(contentsOf: self.descriptor.textHeader)
        case .openMetrics: out.append(contentsOf: self.descriptor.openMetricsHeader)
        }
        self.series.table.forEach { self.renderSeries($0, &out, format) }
    }
}

/// Counters sharing a name and label names.
public typealias CounterFamily = MetricFamily<Counter>
/// Gauges sharing a name and label names.
public typealias GaugeFamily = MetricFamily<Gauge>
/// Histograms sharing a name, label names and buckets.
public typealias HistogramFamily = MetricFamily<Histogram>
