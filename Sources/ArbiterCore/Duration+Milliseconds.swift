extension Duration {
    /// Whole milliseconds, the unit stores and the API record durations in (sub-millisecond parts dropped).
    public var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
