import Synchronization

/// A monotonically increasing count. Keep the handle: updating it is a single atomic add.
public final class Counter: Sendable {
    /// Whole-number increments, the common case, take a plain atomic add.
    @usableFromInline let whole = Atomic<UInt64>(0)
    /// Fractional increments accumulate here as `Double` bits through a compare-and-swap loop.
    private let fraction = Atomic<UInt64>(0)
    /// `name_total{labels} `, rendered once.
    let prefix: FixedText
    /// Owns the memory `prefix` points into.
    private let arena: TextArena

    init(prefix: [UInt8], arena: TextArena) {
        self.arena = arena
        self.prefix = arena.store(prefix)
    }

    /// Adds one.
    @inlinable
    public func increment() {
        self.add(1)
    }

    /// Adds a whole number; negative amounts are ignored, since a counter never goes down.
    /// - Parameter amount: How much to add.
    public func increment(by amount: Int) {
        guard amount > 0 else { return }
        self.add(UInt64(amount))
    }

    /// Adds an amount; negative, NaN and infinite amounts are ignored.
    /// - Parameter amount: How much to add.
    public func increment(by amount: Double) {
        guard amount > 0, amount.isFinite else { return }
        if amount < 9_007_199_254_740_992, amount.rounded(.towardZero) == amount {
            self.add(UInt64(amount))
            return
        }
        var bits = self.fraction.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: bits) + amount).bitPattern
            let (exchanged, current) = self.fraction.weakCompareExchange(
                expected: bits, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            bits = current
        }
    }

    /// The current value.
    public var value: Double {
        Double(self.whole.load(ordering: .relaxed)) + Double(bitPattern: self.fraction.load(ordering: .relaxed))
    }

    /// Sets the counter back to zero (for swift-metrics' `reset`, and for process restarts).
    public func reset() {
        self.whole.store(0, ordering: .relaxed)
        self.fraction.store(0, ordering: .relaxed)
    }

    /// Replaces the value with one read from elsewhere (the process's CPU time, for instance).
    package func store(_ value: Double) {
        self.whole.store(0, ordering: .relaxed)
        self.fraction.store(value.bitPattern, ordering: .relaxed)
    }

    @inlinable
    func add(_ amount: UInt64) {
        self.whole.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The most bytes ``write(_:to:)`` writes.
    var maxRenderedBytes: Int { self.prefix.count + NumberFormatting.maxLength }

    /// Writes the sample line; `buffer` must have ``maxRenderedBytes`` free.
    @inline(__always)
    func write(_ format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let written = self.prefix.write(to: buffer)
        return written + NumberFormatting.writeSampleValue(self.value, format: format, to: buffer + written)
    }
}
