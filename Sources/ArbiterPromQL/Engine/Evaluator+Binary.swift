import ArbiterTSDB
import Foundation

extension Evaluator {
    func binary(_ binary: Binary, at time: Int64) throws(QueryError) -> Value {
        let lhs = try self.evaluate(binary.lhs, at: time)
        let rhs = try self.evaluate(binary.rhs, at: time)
        switch (lhs, rhs) {
        case (.scalar(let left), .scalar(let right)):
            let (value, keep) = Self.apply(binary.op, left, right)
            return .scalar(binary.op.isComparison ? (keep ? 1 : 0) : value)
        case (.vector(let vector), .scalar(let scalar)):
            return .vector(try Self.vectorScalar(binary, vector, scalar, scalarOnLeft: false, at: time))
        case (.scalar(let scalar), .vector(let vector)):
            return .vector(try Self.vectorScalar(binary, vector, scalar, scalarOnLeft: true, at: time))
        case (.vector(let left), .vector(let right)):
            let matching = binary.matching ?? Binary.Matching()
            switch binary.op {
            case .and: return .vector(Self.and(left, right, matching, at: time))
            case .or: return .vector(Self.or(left, right, matching, at: time))
            case .unless: return .vector(Self.unless(left, right, matching, at: time))
            default: return .vector(try Self.vectorVector(binary, left, right, matching, at: time))
            }
        default:
            return .vector([])
        }
    }

    /// The value of `left op right`, and for comparisons whether the element is kept (the value is
    /// then the left one).
    static func apply(_ op: Binary.Operation, _ left: Double, _ right: Double) -> (Double, Bool) {
        switch op {
        case .add: (left + right, true)
        case .sub: (left - right, true)
        case .mul: (left * right, true)
        case .div: (left / right, true)
        case .pow: (GoMath.pow(left, right), true)
        case .mod: (fmod(left, right), true)
        case .atan2: (Foundation.atan2(left, right), true)
        case .eql: (left, left == right)
        case .neq: (left, left != right)
        case .gtr: (left, left > right)
        case .lss: (left, left < right)
        case .gte: (left, left >= right)
        case .lte: (left, left <= right)
        case .and, .or, .unless: (left, true)
        }
    }

    /// Arithmetic drops the metric name; a filtering comparison keeps it, and so does `atan2` in
    /// 2.42 (later versions drop it there too).
    static func dropsMetricName(_ op: Binary.Operation) -> Bool {
        switch op {
        case .add, .sub, .mul, .div, .mod, .pow: true
        default: false
        }
    }

    static func vectorScalar(_ binary: Binary, _ vector: [Sample], _ scalar: Double, scalarOnLeft: Bool, at time: Int64) throws(QueryError) -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(vector.count)
        for sample in vector {
            let (left, right) = scalarOnLeft ? (scalar, sample.value) : (sample.value, scalar)
            var (value, keep) = Self.apply(binary.op, left, right)
            // A comparison keeps the vector's value even when the scalar is on the left.
            if binary.op.isComparison && scalarOnLeft { value = right }
            if binary.returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            let labels = Self.dropsMetricName(binary.op) || binary.returnBool ? sample.labels.droppingMetricName : sample.labels
            out.append(Sample(labels: labels, value: value, timestamp: time))
        }
        if Self.dropsMetricName(binary.op) || binary.returnBool { try Self.checkUnique(out) }
        return out
    }

    /// The labels a sample is matched on: the `on` labels, or all but the `ignoring` ones and the
    /// metric name.
    static func signature(_ labels: Labels, _ matching: Binary.Matching) -> [String] {
        var key: [String] = []
        if matching.on {
            for name in matching.labels.sorted() {
                key.append(name)
                key.append(labels[name] ?? "")
            }
        } else {
            for pair in labels.pairs where pair.name != Labels.metricName && !matching.labels.contains(pair.name) {
                key.append(pair.name)
                key.append(pair.value)
            }
        }
        return key
    }

    static func and(_ left: [Sample], _ right: [Sample], _ matching: Binary.Matching, at time: Int64) -> [Sample] {
        let present = Set(right.map { Self.signature($0.labels, matching) })
        return left.filter { present.contains(Self.signature($0.labels, matching)) }.map { Sample(labels: $0.labels, value: $0.value, timestamp: time) }
    }

    static func or(_ left: [Sample], _ right: [Sample], _ matching: Binary.Matching, at time: Int64) -> [Sample] {
        let present = Set(left.map { Self.signature($0.labels, matching) })
        return (left + right.filter { !present.contains(Self.signature($0.labels, matching)) })
            .map { Sample(labels: $0.labels, value: $0.value, timestamp: time) }
    }

    static func unless(_ left: [Sample], _ right: [Sample], _ matching: Binary.Matching, at time: Int64) -> [Sample] {
        let present = Set(right.map { Self.signature($0.labels, matching) })
        return left.filter { !present.contains(Self.signature($0.labels, matching)) }.map { Sample(labels: $0.labels, value: $0.value, timestamp: time) }
    }

    static func vectorVector(_ binary: Binary, _ left: [Sample], _ right: [Sample], _ matching: Binary.Matching, at time: Int64) throws(QueryError) -> [Sample] {
        // `group_right` is `group_left` with the sides swapped; values are swapped back below.
        let swapped = matching.cardinality == .oneToMany
        let (many, one) = swapped ? (right, left) : (left, right)
        var oneBySignature: [[String]: Sample] = [:]
        for sample in one {
            let signature = Self.signature(sample.labels, matching)
            if let earlier = oneBySignature[signature] {
                let side = swapped ? "left" : "right"
                throw QueryError(
                    "found duplicate series for the match group \(Self.describe(signature)) on the \(side) hand-side of the operation: [\(earlier.labels), \(sample.labels)];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            oneBySignature[signature] = sample
        }
        var matched: [[String]: Set<Labels>] = [:]
        var out: [Sample] = []
        for sample in many {
            let signature = Self.signature(sample.labels, matching)
            guard let other = oneBySignature[signature] else { continue }
            let (leftValue, rightValue) = swapped ? (other.value, sample.value) : (sample.value, other.value)
            var (value, keep) = Self.apply(binary.op, leftValue, rightValue)
            if binary.returnBool {
                value = keep ? 1 : 0
            } else if !keep {
                continue
            }
            var labels = Self.resultLabels(sample.labels, other.labels, binary.op, matching)
            if binary.returnBool { labels = labels.droppingMetricName }
            if matching.cardinality == .oneToOne {
                if matched[signature] != nil {
                    throw QueryError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
                matched[signature] = []
            } else if !matched[signature, default: []].insert(labels).inserted {
                throw QueryError("multiple matches for labels: grouping labels must ensure unique matches")
            }
            out.append(Sample(labels: labels, value: value, timestamp: time))
        }
        return out
    }

    static func resultLabels(_ many: Labels, _ one: Labels, _ op: Binary.Operation, _ matching: Binary.Matching) -> Labels {
        var pairs = many.pairs.map { ($0.name, $0.value) }
        if Self.dropsMetricName(op) { pairs.removeAll { $0.0 == Labels.metricName } }
        if matching.cardinality == .oneToOne {
            if matching.on {
                pairs.removeAll { !matching.labels.contains($0.0) }
            } else {
                pairs.removeAll { matching.labels.contains($0.0) }
            }
        }
        for name in matching.include {
            pairs.removeAll { $0.0 == name }
            if let value = one[name], !value.isEmpty { pairs.append((name, value)) }
        }
        return Labels(pairs)
    }

    static func describe(_ signature: [String]) -> String {
        var parts: [String] = []
        var index = 0
        while index + 1 < signature.count {
            parts.append("\(signature[index])=\"\(signature[index + 1])\"")
            index += 2
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
