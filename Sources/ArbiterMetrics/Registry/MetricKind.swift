/// The type of a metric family, as written on its `# TYPE` line.
public enum MetricKind: String, Sendable, Equatable {
    case counter
    case gauge
    case histogram
}
