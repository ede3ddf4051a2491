import ArbiterTSDB
import Dispatch

/// One query's evaluation: the storage, the limits, the query's own start and end (for `@ start()`
/// and `@ end()`), and the series each selector reads, fetched once for all steps.
final class Evaluator {
    let storage: any Queryable
    let options: Engine.Options
    let start: Int64
    let end: Int64
    let deadline: UInt64
    /// Each selector's series over every time the query will look at, by selector key.
    var fetched: [String: [Series]] = [:]
    var windows: [String: (from: Int64, to: Int64)] = [:]

    init(storage: any Queryable, options: Engine.Options, start: Int64, end: Int64, step: Int64) {
        self.storage = storage
        self.options = options
        self.start = start
        self.end = end
        self.deadline = DispatchTime.now().uptimeNanoseconds + UInt64(options.timeout.components.seconds) * 1_000_000_000
            + UInt64(options.timeout.components.attoseconds / 1_000_000_000)
    }

    func evaluate(_ expr: Expr, at time: Int64) throws(QueryError) -> Value {
        try self.checkDeadline()
        switch expr {
        case .number(let value): return .scalar(value)
        case .string(let value): return .string(value)
        case .paren(let inner): return try self.evaluate(inner, at: time)
        case .vectorSelector(let selector): return .vector(try self.instantVector(selector, at: time))
        case .matrixSelector(let selector, let range):
            return .matrix(try self.rangeVector(selector, range: range, at: time).matrix)
        case .subquery(let subquery): return .matrix(try self.subquery(subquery, at: time).matrix)
        case .unaryMinus(let inner):
            switch try self.evaluate(inner, at: time) {
            case .scalar(let value): return .scalar(-value)
            case .vector(let samples):
                let negated = samples.map { Sample(labels: $0.labels.droppingMetricName, value: -$0.value, timestamp: time) }
                try Self.checkUnique(negated)
                return .vector(negated)
            case let other: return other
            }
        case .binary(let binary): return try self.binary(binary, at: time)
        case .aggregate(let aggregate): return .vector(try self.aggregate(aggregate, at: time))
        case .call(let call): return try self.call(call, at: time)
        }
    }

    func checkDeadline() throws(QueryError) {
        if DispatchTime.now().uptimeNanoseconds > self.deadline { throw QueryError(.timeout, "query timed out in query execution") }
    }

    func countSamples(_ count: Int) throws(QueryError) {
        if count > self.options.maxSamples {
            throw QueryError(.tooManySamples, "query processing would load too many samples into memory in query execution (limit: query.max_samples = \(self.options.maxSamples))")
        }
    }

    static func checkUnique(_ samples: [Sample]) throws(QueryError) {
        guard samples.count > 1 else { return }
        var seen = Set<Labels>(minimumCapacity: samples.count)
        for sample in samples where !seen.insert(sample.labels).inserted { throw QueryError.sameLabelset() }
    }

    func evaluateVector(_ expr: Expr, at time: Int64) throws(QueryError) -> [Sample] {
        if case .vector(let samples) = try self.evaluate(expr, at: time) { return samples }
        return []
    }

    func evaluateScalar(_ expr: Expr, at time: Int64) throws(QueryError) -> Double {
        if case .scalar(let value) = try self.evaluate(expr, at: time) { return value }
        return .nan
    }

    func evaluateString(_ expr: Expr, at time: Int64) throws(QueryError) -> String {
        if case .string(let value) = try self.evaluate(expr, at: time) { return value }
        return ""
    }

    /// The time a selector or subquery reads at: its `@` time or the evaluation time.
    func resolve(_ at: AtModifier?, _ time: Int64) -> Int64 {
        switch at {
        case nil: time
        case .timestamp(let fixed): fixed
        case .start: self.start
        case .end: self.end
        }
    }
}
