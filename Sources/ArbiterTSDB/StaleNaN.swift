/// Prometheus's staleness marker: a NaN with the bit pattern `0x7ff0000000000002`, written when a
/// series disappears. It ends the series at once for instant queries, unlike a missing sample, which
/// is looked back at for 5 minutes. No other value may use this NaN.
public enum StaleNaN {
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bits)

    public static func isStale(_ value: Double) -> Bool {
        value.bitPattern == self.bits
    }
}
