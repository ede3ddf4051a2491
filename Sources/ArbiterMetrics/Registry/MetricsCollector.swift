/// Something that refreshes metrics it owns right before each render, such as the process collector
/// reading `/proc`.
public protocol MetricsCollector: Sendable {
    /// Updates the collector's gauges and counters. Called once per render, before any family is written.
    func collect()
}
