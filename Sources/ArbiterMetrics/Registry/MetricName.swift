import ArbiterCore

/// Validation of metric and label names against the Prometheus data model.
package enum MetricName {
    package static func isValidMetricName(_ name: String) -> Bool { PrometheusName.isMetricName(name) }

    package static func isValidLabelName(_ name: String) -> Bool { PrometheusName.isLabelName(name) }

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
}
