import Synchronization

/// A monotonically increasing count. Keep the handle: updating it is a single atomic add.
///
/// The value lives in the family's ``SeriesArena`` record, next to the series' rendered name:
/// `[whole: UInt64][fraction: Double bits][text length][name_total{labels} ]`.
// Safety (@unchecked Sendable): the record's cells are only accessed through atomics; its text is
// written once in init.
public final class Counter: @unchecked Sendable {
    /// The record in the arena; the handle the family renders from.
    @usableFromInline let record: UnsafeMutableRawPointer
    /// Owns the memory `record` points into.
    private let arena: SeriesArena

    static var headerSize: Int { 24 }

    init(prefix: [UInt8], arena: SeriesArena) {
        self.arena = arena
        self.record = arena.allocateRecord(header: Self.headerSize, text: prefix)
        self.record.initializeMemory(as: Atomic<UInt64>.self, to: Atomic(0))
        (self.record + 8).initializeMemory(as: Atomic<UInt64>.self, to: Atomic(0))
        (self.record + 16).storeBytes(of: prefix.count, as: Int.self)
    }

    /// Whole-number increments, the common case, take a plain atomic add.
    @usableFromInline
    var whole: UnsafeMutablePointer<Atomic<UInt64>> { self.record.assumingMemoryBound(to: Atomic<UInt64>.self) }

    /// Fractional increments accumulate as `Double` bits through a compare-and-swap loop.
    private var fraction: UnsafeMutablePointer<Atomic<UInt64>> { (self.record + 8).assumingMemoryBound(to: Atomic<UInt64>.self) }

    /// Adds one.
    @inlinable
    public func increment() {
        self.whole.pointee.wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds a whole number; negative amounts are ignored, since a counter never goes down.
    /// - Parameter amount: How much to add.
    public func increment(by amount: Int) {
        guard amount > 0 else { return }
        self.whole.pointee.wrappingAdd(UInt64(amount), ordering: .relaxed)
    }

    /// Adds an amount; negative, NaN and infinite amounts are ignored.
    /// - Parameter amount: How much to add.
    public func increment(by amount: Double) {
        guard amount > 0, amount.isFinite else { return }
        if amount < 9_007_199_254_740_992, amount.rounded(.towardZero) == amount {
            self.whole.pointee.wrappingAdd(UInt64(amount), ordering: .relaxed)
            return
        }
        self.fraction.pointee.addDouble(amount)
    }

    /// The current value.
    public var value: Double { Self.value(record: self.record) }

    /// Sets the counter back to zero (for swift-metrics' `reset`, and for process restarts).
    public func reset() {
        self.whole.pointee.store(0, ordering: .relaxed)
        self.fraction.pointee.store(0, ordering: .relaxed)
    }

    /// Replaces the value with one read from elsewhere (the process's CPU time, for instance).
    package func store(_ value: Double) {
        self.whole.pointee.store(0, ordering: .relaxed)
        self.fraction.pointee.store(value.bitPattern, ordering: .relaxed)
    }

    /// The most bytes ``write(record:format:to:)`` writes for this series.
    var maxRenderedBytes: Int { (self.record + 16).load(as: Int.self) + NumberFormatting.maxLength }

    @inline(__always)
    static func value(record: UnsafeMutableRawPointer) -> Double {
        let whole = record.assumingMemoryBound(to: Atomic<UInt64>.self).pointee.load(ordering: .relaxed)
        let fraction = (record + 8).assumingMemoryBound(to: Atomic<UInt64>.self).pointee.load(ordering: .relaxed)
        return Double(whole) + Double(bitPattern: fraction)
    }

    /// Writes the sample line of the counter whose record this is; `buffer` must have
    /// ``maxRenderedBytes`` free.
    @inline(__always)
    static func write(record: UnsafeMutableRawPointer, format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let length = (record + 16).load(as: Int.self)
        buffer.update(from: (record + 24).assumingMemoryBound(to: UInt8.self), count: length)
        return length + NumberFormatting.writeSampleValue(Self.value(record: record), format: format, to: buffer + length)
    }
}
