import Synchronization

/// A value that goes up and down. Keep the handle: `set` is a single atomic store.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)
    /// `name{labels} `, rendered once.
    let prefix: [UInt8]

    init(prefix: [UInt8]) {
        self.prefix = prefix
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

    func render(into out: inout [UInt8], format: ExpositionFormat) {
        out.append(contentsOf: self.prefix)
        switch format {
        case .text: NumberFormatting.appendText(self.value, to: &out)
        case .openMetrics: NumberFormatting.appendOpenMetrics(self.value, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }
}
