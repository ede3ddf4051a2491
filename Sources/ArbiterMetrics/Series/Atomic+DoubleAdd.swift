import Synchronization

extension Atomic where Value == UInt64 {
    /// Adds to a `Double` stored as its bit pattern, with a compare-and-swap loop (there is no atomic
    /// floating-point add).
    /// - Parameter amount: What to add.
    @inline(__always)
    func addDouble(_ amount: Double) {
        var current = self.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + amount).bitPattern
            let (exchanged, seen) = self.weakCompareExchange(
                expected: current, desired: next, successOrdering: .relaxed, failureOrdering: .relaxed)
            if exchanged { return }
            current = seen
        }
    }
}
