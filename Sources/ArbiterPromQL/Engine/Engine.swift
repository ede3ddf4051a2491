import ArbiterTSDB
import Dispatch

/// Evaluates PromQL the way Prometheus 2.42 does: instant queries at one time, range queries as an
/// instant evaluation at every step.
public struct Engine: Sendable {
    public struct Options: Sendable {
        /// How far back an instant selector looks for a sample (Prometheus's `--query.lookback-delta`).
        public var lookbackDelta: Int64 = 300_000
        /// Samples a query may hold at once (`--query.max-samples`).
        public var maxSamples = 50_000_000
        /// `--query.timeout`.
        public var timeout: Duration = .seconds(120)
        /// The step of a subquery written without one (the global evaluation interval).
        public var defaultSubqueryStep: Int64 = 60_000

        public init() {}
    }

    public let options: Options

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The span of time each selection of `expr` reads when evaluated at `time`, by selection key
    /// (so a caller can fetch each once for many queries).
    public func windows(of expr: Expr, at time: Int64) -> [String: (from: Int64, to: Int64)] {
        let evaluator = Evaluator(storage: NoStorage(), options: self.options, start: time, end: time, step: 0)
        evaluator.prepare(expr)
        return evaluator.windows
    }

    private struct NoStorage: Queryable {
        func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series] { [] }
    }

    /// Evaluates `expr` at `time` (Unix ms).
    /// - Throws: ``QueryError`` for a limit, a timeout or an error in the data.
    public func instant(_ expr: Expr, at time: Int64, on storage: any Queryable) throws(QueryError) -> Value {
        let evaluator = Evaluator(storage: storage, options: self.options, start: time, end: time, step: 0)
        evaluator.prepare(expr)
        return try evaluator.evaluate(expr, at: time)
    }

    /// Evaluates `expr` at `start`, `start + step`, … up to `end`; series sorted by labels, a scalar
    /// result as one series without labels.
    /// - Throws: ``QueryError`` for a limit, a timeout or an error in the data.
    public func range(_ expr: Expr, start: Int64, end: Int64, step: Int64, on storage: any Queryable) throws(QueryError) -> [Series] {
        precondition(step > 0 && end >= start)
        guard expr.type == .scalar || expr.type == .vector else {
            throw QueryError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        let evaluator = Evaluator(storage: storage, options: self.options, start: start, end: end, step: step)
        evaluator.prepare(expr)
        var order: [Labels] = []
        var byLabels: [Labels: [Point]] = [:]
        var time = start
        while time <= end {
            switch try evaluator.evaluate(expr, at: time) {
            case .scalar(let value):
                let labels = Labels([(String, String)]())
                if byLabels[labels] == nil { order.append(labels) }
                byLabels[labels, default: []].append(Point(time, value))
            case .vector(let samples):
                for sample in samples {
                    if byLabels[sample.labels] == nil { order.append(sample.labels) }
                    byLabels[sample.labels, default: []].append(Point(time, sample.value))
                }
                try evaluator.countSamples(byLabels.count)
            case .string, .matrix:
                break
            }
            time += step
        }
        return order.sorted(by: <).map { Series(labels: $0, points: byLabels[$0]!) }
    }
}
