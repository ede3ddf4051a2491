import ArbiterTSDB

/// Where the engine reads series from.
public protocol Queryable: Sendable {
    /// The series the matchers select with their samples in `[from, to]` (Unix ms, in order).
    /// Staleness markers are included; series without samples in the range may be left out.
    func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series]

    /// Whether ``series(matching:from:to:)`` already returns series sorted by labels.
    var returnsSortedSeries: Bool { get }
}

extension Queryable {
    public var returnsSortedSeries: Bool { false }
}

extension Head: Queryable {
    public func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series] {
        let found = self.select(matchers, from: from, to: to)
        return found.map { Series(labels: $0.labels, points: $0.samples) }
    }
}
