import ArbiterTSDB

/// One value of an instant vector.
public struct Sample: Sendable {
    public var labels: Labels
    public var value: Double
    /// The stored sample's own time for a vector selector's result (what `timestamp()` reads); the
    /// evaluation time for everything else.
    public var timestamp: Int64

    public init(labels: Labels, value: Double, timestamp: Int64) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

/// A series with its points, as a range vector or a range query's result holds them.
public struct Series: Sendable {
    public var labels: Labels
    public var points: [Point]
    /// `labels` without `__name__`, when a cache worked it out once for many queries.
    public var unnamedLabels: Labels?

    public init(labels: Labels, points: [Point], unnamedLabels: Labels? = nil) {
        self.labels = labels
        self.points = points
        self.unnamedLabels = unnamedLabels
    }
}

/// What a query evaluates to.
public enum Value: Sendable {
    case scalar(Double)
    case string(String)
    case vector([Sample])
    case matrix([Series])

    public var type: ValueType {
        switch self {
        case .scalar: .scalar
        case .string: .string
        case .vector: .vector
        case .matrix: .matrix
        }
    }
}

extension Labels {
    /// The labels without `__name__`.
    public var droppingMetricName: Labels {
        self.pairs.contains { $0.name == Labels.metricName } ? self.filter { $0 != Labels.metricName } : self
    }

    /// Prometheus's order of label sets: pair by pair, name then value; a prefix sorts first.
    public static func < (lhs: Labels, rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name.utf8.lexicographicallyPrecedes(right.name.utf8) }
            if left.value != right.value { return left.value.utf8.lexicographicallyPrecedes(right.value.utf8) }
        }
        return lhs.pairs.count < rhs.pairs.count
    }
}
