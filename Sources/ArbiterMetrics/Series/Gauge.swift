import Synchronization

/// A value that goes up and down. Keep the handle: `set` is a single atomic store.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)
    /// `name{labels} `, rendered once.
    let prefix: FixedText
    /// Owns the memory `prefix` points into.
    private let arena: TextArena

    init(prefix: [UInt8], arena: TextArena) {
        self.arena = arena
        self.prefix = arena.store(prefix)
    }

    /// Sets the value.
    /// - Parameter value: The new value.
    public func set(_ value: Double) {
        self.bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds to the value (a negative amount subtracts).
    /// - Parameter amount: How much to add.
    public func add(_ amount: Double) {
        var current = self.bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + amount).bitPattern
            let (exchanged, seen) = self.bits.weakCompareExchange(
                expected: current, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            current = seen
        }
    }

    /// Adds one.
    public func increment() { self.add(1) }

    /// Subtracts one.
    public func decrement() { self.add(-1) }

    /// The current value.
    public var value: Double { Double(bitPattern: self.bits.load(ordering: .relaxed)) }

    /// The most bytes ``write(_:to:)`` writes.
    var maxRenderedBytes: Int { self.prefix.count + NumberFormatting.maxLength }

    /// Writes the sample line; `buffer` must have ``maxRenderedBytes`` free.
    @inline(__always)
    func write(_ format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let written = self.prefix.write(to: buffer)
        return written + NumberFormatting.writeSampleValue(self.value, format: format, to: buffer + written)
    }
}
