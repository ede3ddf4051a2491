extension Duration {
    /// Whole milliseconds, the unit stores and the API record durations in (sub-millisecond parts dropped).
    public var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }

    /// In seconds, fractions included: the unit metrics and rates are in.
    public var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
