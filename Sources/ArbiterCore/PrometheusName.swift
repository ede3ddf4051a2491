/// Metric and label names as the Prometheus data model allows them (the registry, PromQL, rule
/// files and the query API all check with these).
public enum PrometheusName {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    public static func isMetricName(_ name: String) -> Bool {
        self.matches(name, colon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    public static func isLabelName(_ name: String) -> Bool {
        self.matches(name, colon: false)
    }

    private static func matches(_ name: String, colon: Bool) -> Bool {
        var first = true
        for byte in name.utf8 {
            let letter = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || byte == UInt8(ascii: "_") || (colon && byte == UInt8(ascii: ":")) || (!first && digit) else { return false }
            first = false
        }
        return !first
    }
}
