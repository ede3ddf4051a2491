/// The upper bounds of a histogram family's classic buckets, with their `le` labels pre-rendered.
public struct HistogramBuckets: Sendable, Equatable {
    /// Prometheus's default buckets, as the Go client's `DefBuckets`.
    public static let defaultBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Finite upper bounds, strictly increasing; `+Inf` is implicit.
    public let bounds: [Double]
    /// The `le` labels, rendered once for both formats.
    let labels: BucketLabels

    /// Validates and prepares bucket bounds.
    /// - Parameter bounds: Strictly increasing finite numbers; a trailing `+Inf` is dropped.
    /// - Throws: ``MetricsError`` with code `invalid_buckets` when they are empty, not finite or not
    ///   strictly increasing.
    public init(_ bounds: [Double]) throws(MetricsError) {
        var bounds = bounds
        if bounds.last == .infinity { bounds.removeLast() }
        guard !bounds.isEmpty else {
            throw MetricsError(.invalidBuckets, "histogram buckets must list at least one finite upper bound")
        }
        for (index, bound) in bounds.enumerated() {
            guard bound.isFinite else {
                throw MetricsError(.invalidBuckets, "histogram bucket bound \(bound) at position \(index + 1) is not a finite number")
            }
            if index > 0, bound <= bounds[index - 1] {
                throw MetricsError(.invalidBuckets, "histogram bucket bounds must increase strictly: \(bound) follows \(bounds[index - 1])")
            }
        }
        self.bounds = bounds
        func le(_ bound: Double, openMetrics: Bool) -> [UInt8] {
            var out = Array("le=\"".utf8)
            if openMetrics {
                NumberFormatting.appendOpenMetrics(bound, to: &out)
            } else {
                NumberFormatting.appendText(bound, to: &out)
            }
            out.append(contentsOf: "\"} ".utf8)
            return out
        }
        self.labels = BucketLabels(
            text: (bounds + [.infinity]).map { le($0, openMetrics: false) },
            openMetrics: (bounds + [.infinity]).map { le($0, openMetrics: true) }
        )
    }

    /// The default Prometheus buckets.
    public static var `default`: HistogramBuckets {
        // The default bounds are valid by construction.
        try! HistogramBuckets(defaultBounds)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.bounds == rhs.bounds }
}

/// `le="0.005"} ` for each bound and then `+Inf`, in text 0.0.4 form and in OpenMetrics' canonical
/// form (`le="1.0"`), shared by every series of a family.
final class BucketLabels: Sendable {
    let text: [FixedText]
    let openMetrics: [FixedText]
    /// The longest label of either form.
    let maxCount: Int
    /// Owns the memory the labels point into.
    private let arena = SeriesArena()

    init(text: [[UInt8]], openMetrics: [[UInt8]]) {
        self.text = text.map(self.arena.store)
        self.openMetrics = openMetrics.map(self.arena.store)
        self.maxCount = (text + openMetrics).map(\.count).max() ?? 0
    }
}
