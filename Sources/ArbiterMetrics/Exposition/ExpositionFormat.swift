/// The scrape formats Arbiter serves at `/metrics`.
public enum ExpositionFormat: String, Sendable, CaseIterable {
    /// Prometheus text format 0.0.4.
    case text
    /// OpenMetrics 1.0.0 text.
    case openMetrics = "openmetrics"

    /// The exact `Content-Type` a client library writes for this format.
    public var contentType: String {
        switch self {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }
}
