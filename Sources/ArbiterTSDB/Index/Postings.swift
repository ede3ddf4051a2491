/// The inverted index of the head: label name → value → the series that have it, in reference
/// order, so a selector's matchers intersect sorted lists instead of testing every series.
struct Postings: Sendable {
    private(set) var byLabel: [String: [String: [UInt64]]] = [:]
    /// Every series, in reference order (the postings of "all").
    private(set) var all: [UInt64] = []

    /// References grow, so appending keeps each list sorted.
    mutating func add(_ reference: UInt64, _ labels: Labels) {
        self.all.append(reference)
        for pair in labels.pairs { self.byLabel[pair.name, default: [:]][pair.value, default: []].append(reference) }
    }

    mutating func remove(_ references: Set<UInt64>, _ labelsOf: (UInt64) -> Labels?) {
        guard !references.isEmpty else { return }
        for reference in references {
            guard let labels = labelsOf(reference) else { continue }
            for pair in labels.pairs {
                self.byLabel[pair.name]?[pair.value]?.removeAll { $0 == reference }
                if self.byLabel[pair.name]?[pair.value]?.isEmpty == true { self.byLabel[pair.name]?[pair.value] = nil }
                if self.byLabel[pair.name]?.isEmpty == true { self.byLabel[pair.name] = nil }
            }
        }
        self.all.removeAll { references.contains($0) }
    }

    /// The series every matcher accepts. Matchers that reject the empty value narrow by the index;
    /// the others (`!=`, `!~`, or regexes that accept "") subtract what they reject.
    func select(_ matchers: [LabelMatcher]) -> [UInt64] {
        var result: [UInt64]?
        for matcher in matchers where !matcher.matchesEmpty {
            let values = self.byLabel[matcher.name] ?? [:]
            var union: [UInt64] = []
            if matcher.kind == .equal {
                union = values[matcher.value] ?? []
            } else {
                for (value, list) in values where matcher.matches(value) { union = Self.merge(union, list) }
            }
            result = result.map { Self.intersect($0, union) } ?? union
            if result?.isEmpty == true { return [] }
        }
        var selected = result ?? self.all
        for matcher in matchers where matcher.matchesEmpty {
            // Series whose value for the label is rejected; series without the label are kept.
            var rejected: [UInt64] = []
            for (value, list) in self.byLabel[matcher.name] ?? [:] where !matcher.matches(value) { rejected = Self.merge(rejected, list) }
            selected = Self.subtract(selected, rejected)
        }
        return selected
    }

    static func merge(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(a.count + b.count)
        var (i, j) = (0, 0)
        while i < a.count, j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 } else if a[i] > b[j] { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1; j += 1 }
        }
        return out + a[i...] + b[j...]
    }

    static func intersect(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        var (i, j) = (0, 0)
        while i < a.count, j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else { out.append(a[i]); i += 1; j += 1 }
        }
        return out
    }

    static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        var j = 0
        for value in a {
            while j < b.count, b[j] < value { j += 1 }
            if j < b.count, b[j] == value { continue }
            out.append(value)
        }
        return out
    }
}
