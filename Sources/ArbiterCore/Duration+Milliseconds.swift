extension Duration {
    /// Whole milliseconds, the unit stores and the API record durations in (sub-millisecond parts dropped).
    /// A duration past what Int64 milliseconds hold (about 292 million years) saturates rather than traps.
    public var wholeMilliseconds: Int64 {
        let (milliseconds, overflow) = self.components.seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return self.components.seconds < 0 ? .min : .max }
        let (total, overflowAgain) = milliseconds.addingReportingOverflow(self.components.attoseconds / 1_000_000_000_000_000)
        return overflowAgain ? .max : total
    }

    /// In seconds, fractions included: the unit metrics and rates are in.
    public var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
