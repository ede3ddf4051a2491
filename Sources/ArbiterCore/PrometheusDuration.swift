/// Durations written the way Prometheus writes them: `1h30m`, `5m`, `30s`, `250ms`, `1d`, `1w`, `1y`.
///
/// Units from largest to smallest, each at most once and in that order, as Prometheus's
/// `model.ParseDuration` requires. `0` alone is allowed. Like Prometheus, a duration must fit in
/// int64 nanoseconds (about 292 years), so whatever adds one to a millisecond timestamp cannot overflow.
public enum PrometheusDuration {
    /// The longest duration accepted, in milliseconds: Go's `time.Duration` limit.
    public static let maxMilliseconds: Int64 = Int64.max / 1_000_000

    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses a Prometheus duration into milliseconds.
    public static func milliseconds(_ text: String) -> Int64? {
        self.parse(text)?.wholeMilliseconds
    }

    /// Parses a Prometheus duration.
    /// - Parameter text: The duration text, such as `1m30s`.
    /// - Returns: The duration, or `nil` when the text is not a valid Prometheus duration.
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var total: Int64 = 0
        var lastUnit = -1
        while index < bytes.count {
            var number: Int64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                let (times10, o1) = number.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(bytes[index] - 0x30))
                if o1 || o2 { return nil }
                number = sum
                index += 1
            }
            guard index > start else { return nil }
            // "ms" must be tried before "m".
            let unitIndex: Int
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "m"), bytes[index + 1] == UInt8(ascii: "s") {
                unitIndex = 6
                index += 2
            } else if index < bytes.count, let found = units.firstIndex(where: { $0.suffix.utf8.first == bytes[index] && $0.suffix.count == 1 }) {
                unitIndex = found
                index += 1
            } else {
                return nil
            }
            guard unitIndex > lastUnit else { return nil }
            lastUnit = unitIndex
            let (scaled, o3) = number.multipliedReportingOverflow(by: units[unitIndex].milliseconds)
            let (sum, o4) = total.addingReportingOverflow(scaled)
            if o3 || o4 || sum > Self.maxMilliseconds { return nil }
            total = sum
        }
        return .milliseconds(total)
    }

    /// Formats a duration the way Prometheus prints one (`1h30m`, `250ms`, `0s`).
    /// - Parameter duration: The duration; sub-millisecond parts are dropped.
    /// - Returns: The shortest Prometheus duration text.
    public static func format(_ duration: Duration) -> String {
        var ms = duration.wholeMilliseconds
        if ms == 0 { return "0s" }
        var text = ms < 0 ? "-" : ""
        ms = abs(ms)
        for (suffix, size) in units where ms >= size {
            // Prometheus prints weeks and years only when they divide evenly.
            if (suffix == "y" || suffix == "w") && ms % size != 0 { continue }
            text += "\(ms / size)\(suffix)"
            ms %= size
        }
        return text
    }
}
