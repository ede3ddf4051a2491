import ArbiterCore
import ArbiterTSDB
import Foundation

extension Evaluator {
    /// One group's running state, as Prometheus 2.42 keeps it (its `avg` and `stddev` are the
    /// incremental forms, with its handling of infinities).
    private struct Group {
        var labels: Labels
        var value: Double
        var mean: Double
        var count: Double
        var members: [Sample] = []
    }

    func aggregate(_ aggregate: Aggregate, at time: Int64) throws(QueryError) -> [Sample] {
        var parameter = Double.nan
        var valueLabel = ""
        switch aggregate.op {
        case .topk, .bottomk, .quantile:
            parameter = try self.evaluateScalar(aggregate.param!, at: time)
        case .countValues:
            valueLabel = try self.evaluateString(aggregate.param!, at: time)
            guard PrometheusName.isLabelName(valueLabel) else { throw QueryError("invalid label name \"\(valueLabel)\"") }
        default: break
        }
        var k = 0
        if aggregate.op == .topk || aggregate.op == .bottomk {
            guard parameter.isFinite || parameter.isNaN, abs(parameter) < 9.2e18, !parameter.isNaN else {
                throw QueryError("Scalar value \(ValueFormat.string(parameter)) overflows int64")
            }
            k = Int(parameter)
            if k < 1 { return [] }
        }
        var input = try self.evaluateVector(aggregate.expr, at: time)
        if aggregate.op == .countValues {
            input = input.map { sample in
                var pairs = sample.labels.pairs.map { ($0.name, $0.value) }
                pairs.append((valueLabel, ValueFormat.string(sample.value)))
                return Sample(labels: Labels(pairs), value: sample.value, timestamp: sample.timestamp)
            }
        }
        // Groups in order of first appearance, updated in place (a copy per sample would copy the
        // members of topk/quantile every time).
        var groups: [Group] = []
        var positions: [Labels: Int] = [:]
        let variance = aggregate.op == .stddev || aggregate.op == .stdvar
        let keepsMembers = aggregate.op == .topk || aggregate.op == .bottomk || aggregate.op == .quantile
        for sample in input {
            let key = Self.groupLabels(sample.labels, aggregate.grouping, extra: aggregate.op == .countValues ? valueLabel : nil)
            if let position = positions[key] {
                Self.accumulate(&groups[position], sample, aggregate.op)
            } else {
                positions[key] = groups.count
                groups.append(Group(labels: key, value: variance ? 0 : sample.value, mean: sample.value, count: 1, members: keepsMembers ? [sample] : []))
            }
        }
        var out: [Sample] = []
        for group in groups {
            let key = group.labels
            switch aggregate.op {
            case .topk, .bottomk:
                for sample in Self.select(group.members, k: k, largest: aggregate.op == .topk) {
                    out.append(Sample(labels: sample.labels, value: sample.value, timestamp: time))
                }
                continue
            default: break
            }
            let value: Double
            switch aggregate.op {
            case .sum, .min, .max: value = group.value
            case .avg: value = group.mean
            case .count, .countValues: value = group.count
            case .group: value = 1
            case .stdvar: value = group.value / group.count
            case .stddev: value = (group.value / group.count).squareRoot()
            case .quantile: value = Self.quantile(parameter, group.members.map(\.value))
            case .topk, .bottomk: continue
            }
            out.append(Sample(labels: key, value: value, timestamp: time))
        }
        return out
    }

    private static func accumulate(_ group: inout Group, _ sample: Sample, _ op: AggregateOp) {
        let value = sample.value
        switch op {
        case .sum: group.value += value
        case .avg:
            group.count += 1
            if group.mean.isInfinite {
                // Inf plus a finite value, or Inf of the same sign, leaves the mean as it is;
                // the update below would make it NaN.
                if value.isInfinite && (group.mean > 0) == (value > 0) { return }
                if !value.isInfinite && !value.isNaN { return }
            }
            group.mean += value / group.count - group.mean / group.count
        case .count, .countValues: group.count += 1
        case .group: break
        case .max: if group.value < value || group.value.isNaN { group.value = value }
        case .min: if group.value > value || group.value.isNaN { group.value = value }
        case .stddev, .stdvar:
            group.count += 1
            let delta = value - group.mean
            group.mean += delta / group.count
            group.value += delta * (value - group.mean)
        case .topk, .bottomk, .quantile: group.members.append(sample)
        }
    }

    /// The labels that name a sample's group (plus the `count_values` label).
    private static func groupLabels(_ labels: Labels, _ grouping: Aggregate.Grouping, extra: String?) -> Labels {
        switch grouping {
        case .by(let names):
            return labels.filter { names.contains($0) || $0 == extra }
        case .without(let names):
            return labels.filter { $0 != Labels.metricName && (!names.contains($0) || $0 == extra) }
        }
    }

    /// The `k` largest (or smallest) samples, NaN ranked below every number, in result order.
    private static func select(_ members: [Sample], k: Int, largest: Bool) -> [Sample] {
        let ranked = members.enumerated().sorted { a, b in
            let (x, y) = (a.element.value, b.element.value)
            if x.isNaN != y.isNaN { return y.isNaN }
            if x != y && !x.isNaN { return largest ? x > y : x < y }
            return a.offset < b.offset
        }
        return ranked.prefix(k).map(\.element)
    }

    /// Prometheus's `quantile`: linear interpolation between the closest ranks.
    static func quantile(_ q: Double, _ values: [Double]) -> Double {
        guard !values.isEmpty, !q.isNaN else { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let sorted = values.sorted { $0.isNaN && !$1.isNaN || $0 < $1 }
        let n = Double(sorted.count)
        let rank = q * (n - 1)
        let lower = max(0, rank.rounded(.down))
        let upper = min(n - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[Int(lower)] * (1 - weight) + sorted[Int(upper)] * weight
    }

}
