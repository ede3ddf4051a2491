import ArbiterTSDB

/// `histogram_quantile` over classic `_bucket` series (Prometheus 2.42's `bucketQuantile`).
enum HistogramQuantile {
    struct Bucket {
        var upperBound: Double
        var count: Double
    }

    static func evaluate(_ q: Double, _ vector: [Sample], at time: Int64) -> [Sample] {
        var order: [Labels] = []
        var buckets: [Labels: [Bucket]] = [:]
        for sample in vector {
            guard let bound = sample.labels["le"].flatMap(Self.parseBound) else { continue }
            // Grouped with the metric name, which the result drops: two histograms that differ only
            // in name collide in the result (an error), as in 2.42.
            let key = sample.labels.filter { $0 != "le" }
            if buckets[key] == nil { order.append(key) }
            buckets[key, default: []].append(Bucket(upperBound: bound, count: sample.value))
        }
        return order.map { Sample(labels: $0.droppingMetricName, value: Self.quantile(q, buckets[$0]!), timestamp: time) }
    }

    /// Go's `strconv.ParseFloat` for `le` values (`+Inf`, `1e3`, `0.5`).
    static func parseBound(_ text: String) -> Double? {
        switch text.lowercased() {
        case "+inf", "inf", "+infinity", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return Lexer.parseNumber(text.hasPrefix("+") ? String(text.dropFirst()) : text)
        }
    }

    static func quantile(_ q: Double, _ unsorted: [Bucket]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets = unsorted.sorted { $0.upperBound < $1.upperBound }
        guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
        buckets = Self.coalesce(buckets)
        Self.ensureMonotonic(&buckets)
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0 else { return .nan }
        var rank = q * observations
        let b = buckets[..<(buckets.count - 1)].firstIndex { $0.count >= rank } ?? (buckets.count - 1)
        if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
        if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
        var bucketStart = 0.0
        let bucketEnd = buckets[b].upperBound
        var count = buckets[b].count
        if b > 0 {
            bucketStart = buckets[b - 1].upperBound
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count)
    }

    /// Merges buckets with the same bound (from series that differ only in an ignored label).
    static func coalesce(_ buckets: [Bucket]) -> [Bucket] {
        var out: [Bucket] = []
        for bucket in buckets {
            if let last = out.last, last.upperBound == bucket.upperBound {
                out[out.count - 1].count += bucket.count
            } else {
                out.append(bucket)
            }
        }
        return out
    }

    /// Counts must not fall as the bound rises; a lower one (from scrape skew) takes the maximum so far.
    static func ensureMonotonic(_ buckets: inout [Bucket]) {
        var maximum = -Double.infinity
        for index in buckets.indices {
            if buckets[index].count > maximum {
                maximum = buckets[index].count
            } else if buckets[index].count < maximum {
                buckets[index].count = maximum
            }
        }
    }
}
