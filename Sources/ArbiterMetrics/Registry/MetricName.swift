/// Validation of metric and label names against the Prometheus data model.
package enum MetricName {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    package static func isValidMetricName(_ name: String) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok = isLetter(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    package static func isValidLabelName(_ name: String) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok = isLetter(byte) || byte == UInt8(ascii: "_") || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// Checks a family's label names: well formed, not reserved (`__` prefix), unique, and not one the
    /// exposition adds itself (`le` on histograms).
    package static func validateLabelNames(_ names: [String], family: String, kind: MetricKind) throws(MetricsError) {
        var seen = Set<String>()
        for name in names {
            guard isValidLabelName(name) else {
                throw MetricsError(.invalidLabelName, "metric \(family): label name \"\(name)\" must match [a-zA-Z_][a-zA-Z0-9_]*")
            }
            guard !name.hasPrefix("__") else {
                throw MetricsError(.invalidLabelName, "metric \(family): label name \"\(name)\" is reserved (names starting with __ are Prometheus's own)")
            }
            if kind == .histogram && name == "le" {
                throw MetricsError(.invalidLabelName, "metric \(family): label name \"le\" is reserved for histogram buckets")
            }
            guard seen.insert(name).inserted else {
                throw MetricsError(.invalidLabelName, "metric \(family): label name \"\(name)\" appears twice")
            }
        }
    }

    @inline(__always) private static func isLetter(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
    }
}
