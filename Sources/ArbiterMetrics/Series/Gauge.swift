import Synchronization

/// A value that goes up and down. Keep the handle: `set` is a single atomic store.
///
/// The value lives in the family's ``SeriesArena`` record, next to the series' rendered name:
/// `[Double bits][text length][name{labels} ]`.
// Safety (@unchecked Sendable): the record's cell is only accessed through atomics; its text is
// written once in init.
public final class Gauge: @unchecked Sendable {
    /// The record in the arena; the handle the family renders from.
    let record: UnsafeMutableRawPointer
    /// Owns the memory `record` points into.
    private let arena: SeriesArena

    static var headerSize: Int { 16 }

    init(prefix: [UInt8], arena: SeriesArena) {
        self.arena = arena
        self.record = arena.allocateRecord(header: Self.headerSize, text: prefix)
        self.record.initializeMemory(as: Atomic<UInt64>.self, to: Atomic(0))
        (self.record + 8).storeBytes(of: prefix.count, as: Int.self)
    }

    private var bits: UnsafeMutablePointer<Atomic<UInt64>> { self.record.assumingMemoryBound(to: Atomic<UInt64>.self) }

    /// Sets the value.
    /// - Parameter value: The new value.
    public func set(_ value: Double) {
        self.bits.pointee.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds to the value (a negative amount subtracts).
    /// - Parameter amount: How much to add.
    public func add(_ amount: Double) {
        self.bits.pointee.addDouble(amount)
    }

    /// Adds one.
    public func increment() { self.add(1) }

    /// Subtracts one.
    public func decrement() { self.add(-1) }

    /// The current value.
    public var value: Double { Double(bitPattern: self.bits.pointee.load(ordering: .relaxed)) }

    /// The most bytes ``write(record:format:to:)`` writes for this series.
    var maxRenderedBytes: Int { (self.record + 8).load(as: Int.self) + NumberFormatting.maxLength }

    /// Writes the sample line of the gauge whose record this is; `buffer` must have
    /// ``maxRenderedBytes`` free.
    @inline(__always)
    static func write(record: UnsafeMutableRawPointer, format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let length = (record + 8).load(as: Int.self)
        buffer.update(from: (record + 16).assumingMemoryBound(to: UInt8.self), count: length)
        let value = Double(bitPattern: record.assumingMemoryBound(to: Atomic<UInt64>.self).pointee.load(ordering: .relaxed))
        return length + NumberFormatting.writeSampleValue(value, format: format, to: buffer + length)
    }
}
