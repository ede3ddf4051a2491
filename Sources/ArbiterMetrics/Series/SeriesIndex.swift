import Synchronization

/// Finds or creates the series of one family by label values.
///
/// Lookups and creation take only this family's lock, never a registry-wide one. Creation is O(1)
/// amortised: one dictionary insert and one table append. Beyond the family's series limit no series
/// is created: the caller gets a detached series whose updates go nowhere, and `onDrop` is told.
/// Series are never removed, so the index holds every series for the family's whole life.
final class SeriesIndex<Series: AnyObject & Sendable>: Sendable {
    /// The longest label value accepted, in UTF-8 bytes.
    static var maxLabelValueBytes: Int { 4096 }

    let family: String
    let labelNames: [String]
    let table: SeriesTable
    private let index: Mutex<[[String]: Series]>
    private let detached: Series
    private let make: @Sendable ([UInt8]) -> Series
    private let measure: @Sendable (Series) -> Int
    private let handle: @Sendable (Series) -> UnsafeMutableRawPointer
    private let onDrop: @Sendable () -> Void
    /// The most bytes any published series renders to; raised before a series is published.
    private let largestRender = Atomic<Int>(0)

    init(
        family: String,
        labelNames: [String],
        limit: Int,
        make: @escaping @Sendable ([UInt8]) -> Series,
        measure: @escaping @Sendable (Series) -> Int,
        handle: @escaping @Sendable (Series) -> UnsafeMutableRawPointer,
        onDrop: @escaping @Sendable () -> Void
    ) {
        self.family = family
        self.labelNames = labelNames
        self.table = SeriesTable(capacity: labelNames.isEmpty ? 1 : limit)
        self.index = Mutex([:])
        self.detached = make([])
        self.make = make
        self.measure = measure
        self.handle = handle
        self.onDrop = onDrop
    }

    /// The most bytes one published series can render to. Read it after the table's count.
    var maxRenderedBytes: Int { self.largestRender.load(ordering: .relaxed) }

    /// The series for these label values, created on first use.
    /// - Throws: ``MetricsError`` when the number of values differs from the label names or a value is
    ///   too long.
    func series(_ values: [String]) throws(MetricsError) -> Series {
        if let found = self.index.withLock({ $0[values] }) { return found }
        try self.validate(values)
        let (series, dropped) = self.index.withLock { index -> (Series, Bool) in
            if let found = index[values] { return (found, false) }
            guard self.table.count < self.table.capacity else { return (self.detached, true) }
            let created = self.make(LabelText.pairs(names: self.labelNames, values: values))
            let size = self.measure(created)
            if size > self.largestRender.load(ordering: .relaxed) { self.largestRender.store(size, ordering: .relaxed) }
            // The index keeps the series alive for the family's life, so the table's handle stays valid.
            _ = self.table.append(self.handle(created))
            index[values] = created
            return (created, false)
        }
        if dropped { self.onDrop() }
        return series
    }

    private func validate(_ values: [String]) throws(MetricsError) {
        guard values.count == self.labelNames.count else {
            throw MetricsError(
                .invalidLabelValue,
                "metric \(self.family): expected \(self.labelNames.count) label values (\(self.labelNames.joined(separator: ", "))), got \(values.count)"
            )
        }
        for (name, value) in zip(self.labelNames, values) where value.utf8.count > Self.maxLabelValueBytes {
            throw MetricsError(
                .invalidLabelValue,
                "metric \(self.family): value of label \(name) is \(value.utf8.count) bytes, more than the \(Self.maxLabelValueBytes) allowed"
            )
        }
    }
}
