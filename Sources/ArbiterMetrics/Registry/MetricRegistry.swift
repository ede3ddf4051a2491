import Logging
import NIOCore
import Synchronization

/// Arbiter's metrics: families of counters, gauges and histograms, rendered for scrapes.
///
/// Registering a name again with the same type, help, unit, label names (and buckets) returns the
/// family already there; anything different throws. Series are created on first use of their label
/// values and kept; callers should keep the handles they use on hot paths.
///
/// - Important: Registration takes the registry's lock; series lookups and updates never do, and a
///   render holds it only long enough to take the current list of families.
public final class MetricRegistry: Sendable {
    /// Registry-wide defaults.
    public struct Options: Sendable {
        /// Series a family may hold before new label values are dropped.
        public var seriesLimit: Int
        /// Buckets for histograms registered without their own.
        public var defaultBuckets: HistogramBuckets

        /// - Parameters:
        ///   - seriesLimit: Series per family (default 10,000).
        ///   - defaultBuckets: Histogram buckets when none are given (default: Prometheus's).
        public init(seriesLimit: Int = 10_000, defaultBuckets: HistogramBuckets = .default) {
            self.seriesLimit = seriesLimit
            self.defaultBuckets = defaultBuckets
        }
    }

    private struct State {
        var families: [String: any RenderableFamily] = [:]
        /// Every name a family's samples use, mapped to the family that owns it.
        var owners: [String: String] = [:]
        /// Families sorted by name: what a render walks.
        var sorted: [any RenderableFamily] = []
        var collectors: [any MetricsCollector] = []
    }

    /// The defaults this registry applies.
    public let options: Options
    let logger: Logger
    private let state = Mutex(State())
    private let epoch = ContinuousClock.now
    private let droppedSeries: CounterFamily

    /// Creates an empty registry holding only `arbiter_metrics_series_dropped_total`.
    /// - Parameters:
    ///   - options: Series limit and default buckets.
    ///   - logger: Where limit warnings and bridge mistakes are logged.
    public init(options: Options = Options(), logger: Logger = Logger(label: "arbiter.metrics")) {
        self.options = options
        self.logger = logger
        let descriptor = FamilyDescriptor(
            name: "arbiter_metrics_series_dropped",
            help: "Series not created because their family reached its series limit.",
            unit: "", kind: .counter, labelNames: ["family"]
        )
        let family = CounterFamily(
            descriptor: descriptor,
            limit: max(options.seriesLimit, 1000),
            make: { [arena = SeriesArena()] in Counter(prefix: LabelText.samplePrefix(name: "arbiter_metrics_series_dropped_total", pairs: $0), arena: arena) },
            measure: { $0.maxRenderedBytes }, handle: { $0.record }, write: { Counter.write(record: $0, format: $1, to: $2) },
            onDrop: {}
        )
        self.droppedSeries = family
        self.state.withLock { state in
            state.families[descriptor.name] = family
            for name in descriptor.sampleNames + [descriptor.name] { state.owners[name] = descriptor.name }
            state.sorted = [family]
        }
    }

    // MARK: Registration

    /// Registers (or finds) a counter family. A trailing `_total` in `name` is optional: samples always carry it.
    /// - Parameters:
    ///   - name: Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: What the metric counts.
    ///   - labelNames: Label names, fixed for the family's life.
    ///   - unit: Base unit (`seconds`, `bytes`) that the name ends with, or empty.
    ///   - seriesLimit: Overrides the registry's series limit for this family.
    /// - Returns: The family.
    /// - Throws: ``MetricsError`` for a bad name, label name or unit, or a conflicting registration.
    public func counterFamily(
        _ name: String, help: String, labelNames: [String] = [], unit: String = "", seriesLimit: Int? = nil
    ) throws(MetricsError) -> CounterFamily {
        let base = name.hasSuffix("_total") ? String(name.dropLast(6)) : name
        let descriptor = try Self.describe(name: base, shownAs: name, help: help, unit: unit, kind: .counter, labelNames: labelNames, buckets: nil)
        let sample = base + "_total"
        return try self.register(descriptor, seriesLimit: seriesLimit) { limit, onDrop in
            CounterFamily(
                descriptor: descriptor, limit: limit,
                make: { [arena = SeriesArena()] in Counter(prefix: LabelText.samplePrefix(name: sample, pairs: $0), arena: arena) },
                measure: { $0.maxRenderedBytes }, handle: { $0.record }, write: { Counter.write(record: $0, format: $1, to: $2) },
                onDrop: onDrop
            )
        }
    }

    /// Registers (or finds) a gauge family.
    /// - Parameters:
    ///   - name: Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: What the metric measures.
    ///   - labelNames: Label names, fixed for the family's life.
    ///   - unit: Base unit that the name ends with, or empty.
    ///   - seriesLimit: Overrides the registry's series limit for this family.
    /// - Returns: The family.
    /// - Throws: ``MetricsError`` for a bad name, label name or unit, or a conflicting registration.
    public func gaugeFamily(
        _ name: String, help: String, labelNames: [String] = [], unit: String = "", seriesLimit: Int? = nil
    ) throws(MetricsError) -> GaugeFamily {
        let descriptor = try Self.describe(name: name, shownAs: name, help: help, unit: unit, kind: .gauge, labelNames: labelNames, buckets: nil)
        return try self.register(descriptor, seriesLimit: seriesLimit) { limit, onDrop in
            GaugeFamily(
                descriptor: descriptor, limit: limit,
                make: { [arena = SeriesArena()] in Gauge(prefix: LabelText.samplePrefix(name: name, pairs: $0), arena: arena) },
                measure: { $0.maxRenderedBytes }, handle: { $0.record }, write: { Gauge.write(record: $0, format: $1, to: $2) },
                onDrop: onDrop
            )
        }
    }

    /// Registers (or finds) a histogram family.
    /// - Parameters:
    ///   - name: Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    ///   - help: What the metric observes.
    ///   - labelNames: Label names, fixed for the family's life (`le` is reserved).
    ///   - buckets: Bucket bounds; the registry's defaults when `nil`.
    ///   - unit: Base unit that the name ends with, or empty.
    ///   - seriesLimit: Overrides the registry's series limit for this family.
    /// - Returns: The family.
    /// - Throws: ``MetricsError`` for a bad name, label name or unit, or a conflicting registration.
    public func histogramFamily(
        _ name: String, help: String, labelNames: [String] = [], buckets: HistogramBuckets? = nil, unit: String = "",
        seriesLimit: Int? = nil
    ) throws(MetricsError) -> HistogramFamily {
        let buckets = buckets ?? self.options.defaultBuckets
        let descriptor = try Self.describe(name: name, shownAs: name, help: help, unit: unit, kind: .histogram, labelNames: labelNames, buckets: buckets)
        return try self.register(descriptor, seriesLimit: seriesLimit) { limit, onDrop in
            HistogramFamily(
                descriptor: descriptor, limit: limit,
                make: { [arena = SeriesArena()] in Histogram(name: name, buckets: buckets, pairs: $0, arena: arena) },
                measure: { $0.maxRenderedBytes }, handle: { Unmanaged.passUnretained($0).toOpaque() },
                write: { handle, format, buffer in Histogram.write(handle: handle, format: format, to: buffer) },
                onDrop: onDrop
            )
        }
    }

    /// Registers (or finds) a counter without labels and returns its only series.
    /// - Throws: ``MetricsError`` as ``counterFamily(_:help:labelNames:unit:seriesLimit:)``.
    public func counter(_ name: String, help: String, unit: String = "") throws(MetricsError) -> Counter {
        try self.counterFamily(name, help: help, unit: unit).labels([])
    }

    /// Registers (or finds) a gauge without labels and returns its only series.
    /// - Throws: ``MetricsError`` as ``gaugeFamily(_:help:labelNames:unit:seriesLimit:)``.
    public func gauge(_ name: String, help: String, unit: String = "") throws(MetricsError) -> Gauge {
        try self.gaugeFamily(name, help: help, unit: unit).labels([])
    }

    /// Registers (or finds) a histogram without labels and returns its only series.
    /// - Throws: ``MetricsError`` as ``histogramFamily(_:help:labelNames:buckets:unit:seriesLimit:)``.
    public func histogram(_ name: String, help: String, buckets: HistogramBuckets? = nil, unit: String = "") throws(MetricsError) -> Histogram {
        try self.histogramFamily(name, help: help, buckets: buckets, unit: unit).labels([])
    }

    /// Adds a collector that runs before every render.
    /// - Parameter collector: The collector.
    public func addCollector(_ collector: any MetricsCollector) {
        self.state.withLock { $0.collectors.append(collector) }
    }

    // MARK: Rendering

    /// Writes every family with at least one series, sorted by name, in the given format.
    ///
    /// Series are written straight into the buffer's memory from text rendered when they were
    /// created; nothing is allocated per series, and writers are never blocked.
    /// - Parameters:
    ///   - format: Text 0.0.4 or OpenMetrics 1.0.0.
    ///   - out: The buffer to append to. Reuse one (`clear()` keeps its capacity) and a render
    ///     allocates nothing at all.
    public func render(_ format: ExpositionFormat, into out: inout ByteBuffer) {
        let (families, collectors) = self.state.withLock { ($0.sorted, $0.collectors) }
        for collector in collectors { collector.collect() }
        for family in families {
            family.render(into: &out, format: format)
        }
        if format == .openMetrics {
            out.writeString("# EOF\n")
        }
    }

    /// Writes the exposition into a byte array; see ``render(_:into:)-(_,ByteBuffer)``.
    /// - Parameters:
    ///   - format: Text 0.0.4 or OpenMetrics 1.0.0.
    ///   - out: The array to append to.
    public func render(_ format: ExpositionFormat, into out: inout [UInt8]) {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        self.render(format, into: &buffer)
        out.append(contentsOf: buffer.readableBytesView)
    }

    /// Every registered family's descriptor, by name (for the metadata API).
    public var descriptors: [FamilyDescriptor] { self.state.withLock { $0.sorted }.map(\.descriptor) }

    /// The number of registered families.
    public var familyCount: Int { self.state.withLock { $0.sorted.count } }

    /// The number of series across all families.
    public var seriesCount: Int {
        self.state.withLock { $0.sorted }.reduce(0) { $0 + $1.seriesCount }
    }

    // MARK: Internals

    private func register<Family: RenderableFamily>(
        _ descriptor: FamilyDescriptor,
        seriesLimit: Int?,
        make: (Int, @escaping @Sendable () -> Void) -> Family
    ) throws(MetricsError) -> Family {
        let limit = max(seriesLimit ?? self.options.seriesLimit, 1)
        // Built outside the lock so the series-dropped counter's own lookup cannot deadlock with it.
        let reporter = SeriesDropReporter(
            family: descriptor.name, limit: limit,
            dropped: try self.droppedSeries.labels([descriptor.name]), logger: self.logger, epoch: self.epoch
        )
        let result: Result<Family, MetricsError> = self.state.withLock { state in
            if let existing = state.families[descriptor.name] {
                guard existing.descriptor == descriptor, let family = existing as? Family else {
                    return .failure(Self.conflict(existing.descriptor, descriptor))
                }
                return .success(family)
            }
            for name in descriptor.sampleNames + [descriptor.name] {
                if let owner = state.owners[name] {
                    return .failure(MetricsError(
                        .conflictingRegistration,
                        "metric \(descriptor.name): its sample name \(name) is already used by metric \(owner)"
                    ))
                }
            }
            let family = make(limit, { reporter.report() })
            state.families[descriptor.name] = family
            for name in descriptor.sampleNames + [descriptor.name] { state.owners[name] = descriptor.name }
            let position = state.sorted.firstIndex { $0.descriptor.name > descriptor.name } ?? state.sorted.endIndex
            state.sorted.insert(family, at: position)
            return .success(family)
        }
        return try result.get()
    }

    private static func describe(
        name: String, shownAs: String, help: String, unit: String, kind: MetricKind, labelNames: [String], buckets: HistogramBuckets?
    ) throws(MetricsError) -> FamilyDescriptor {
        guard MetricName.isValidMetricName(name), MetricName.isValidMetricName(shownAs) else {
            throw MetricsError(.invalidMetricName, "metric name \"\(shownAs)\" must match [a-zA-Z_:][a-zA-Z0-9_:]*")
        }
        try MetricName.validateLabelNames(labelNames, family: shownAs, kind: kind)
        if !unit.isEmpty {
            guard MetricName.isValidLabelName(unit), name.hasSuffix("_" + unit) else {
                throw MetricsError(.invalidUnit, "metric \(shownAs): unit \"\(unit)\" must be a suffix of the name (as in foo_\(unit))")
            }
        }
        return FamilyDescriptor(name: name, help: help, unit: unit, kind: kind, labelNames: labelNames, buckets: buckets)
    }

    private static func conflict(_ old: FamilyDescriptor, _ new: FamilyDescriptor) -> MetricsError {
        var differences: [String] = []
        if old.kind != new.kind { differences.append("type \(old.kind.rawValue), not \(new.kind.rawValue)") }
        if old.help != new.help { differences.append("help \"\(old.help)\", not \"\(new.help)\"") }
        if old.unit != new.unit { differences.append("unit \"\(old.unit)\", not \"\(new.unit)\"") }
        if old.labelNames != new.labelNames {
            differences.append("label names [\(old.labelNames.joined(separator: ", "))], not [\(new.labelNames.joined(separator: ", "))]")
        }
        if old.buckets != new.buckets { differences.append("different buckets") }
        return MetricsError(
            .conflictingRegistration,
            "metric \(new.name) is already registered with \(differences.joined(separator: "; "))"
        )
    }
}
