import ArbiterTSDB

extension [LabelMatcher] {
    /// Names a selection: the same matchers, the same key.
    package var selectionKey: String { self.map(\.description).joined(separator: ",") }
}

/// A series' points inside a range, sharing the fetched array where no staleness marker had to go.
struct RangeSeries {
    var labels: Labels
    var points: ArraySlice<Point>
    var unnamedLabels: Labels?
}

/// A range vector with the window it was taken over (what `rate` extrapolates to).
struct RangeVector {
    var series: [RangeSeries]

    var matrix: [Series] { self.series.map { Series(labels: $0.labels, points: Array($0.points)) } }
    var rangeStart: Int64
    var rangeEnd: Int64
}

extension Evaluator {
    /// Works out, for every selector, the span of time the query will read, so each is fetched
    /// from storage once however many steps and subquery points need it.
    func prepare(_ expr: Expr) {
        self.plan(expr, from: self.start, to: self.end)
    }

    private func plan(_ expr: Expr, from: Int64, to: Int64) {
        switch expr {
        case .number, .string: return
        case .vectorSelector(let selector):
            let (low, high) = self.times(selector.at, from, to)
            self.widen(selector, low - selector.offset - self.options.lookbackDelta, high - selector.offset)
        case .matrixSelector(let selector, let range):
            let (low, high) = self.times(selector.at, from, to)
            self.widen(selector, low - selector.offset - range, high - selector.offset)
        case .subquery(let subquery):
            let (low, high) = self.times(subquery.at, from, to)
            self.plan(subquery.expr, from: low - subquery.offset - subquery.range, to: high - subquery.offset)
        case .call(let call): for arg in call.args { self.plan(arg, from: from, to: to) }
        case .aggregate(let aggregate):
            if let param = aggregate.param { self.plan(param, from: from, to: to) }
            self.plan(aggregate.expr, from: from, to: to)
        case .binary(let binary):
            self.plan(binary.lhs, from: from, to: to)
            self.plan(binary.rhs, from: from, to: to)
        case .unaryMinus(let inner), .paren(let inner): self.plan(inner, from: from, to: to)
        }
    }

    private func times(_ at: AtModifier?, _ from: Int64, _ to: Int64) -> (Int64, Int64) {
        at == nil ? (from, to) : (self.resolve(at, from), self.resolve(at, from))
    }

    private func widen(_ selector: VectorSelector, _ from: Int64, _ to: Int64) {
        let key = Self.key(selector)
        if let known = self.windows[key] {
            self.windows[key] = (min(known.from, from), max(known.to, to))
        } else {
            self.windows[key] = (from, to)
        }
    }

    static func key(_ selector: VectorSelector) -> String { selector.matchers.selectionKey }

    func fetch(_ selector: VectorSelector) -> [Series] {
        let key = Self.key(selector)
        if let known = self.fetched[key] { return known }
        let window = self.windows[key] ?? (Int64.min / 2, Int64.max / 2)
        var series = self.storage.series(matching: selector.matchers, from: window.from, to: window.to)
        if !self.storage.returnsSortedSeries { series.sort { $0.labels < $1.labels } }
        self.fetched[key] = series
        return series
    }

    /// The latest sample of each series in `[t - lookback, t]` (both ends included, as in 2.42),
    /// unless it is a staleness marker.
    func instantVector(_ selector: VectorSelector, at time: Int64) throws(QueryError) -> [Sample] {
        let reference = self.resolve(selector.at, time) - selector.offset
        var out: [Sample] = []
        for series in self.fetch(selector) {
            let index = Self.lastIndex(series.points, atOrBefore: reference)
            guard index >= 0 else { continue }
            let point = series.points[index]
            guard point.timestamp >= reference - self.options.lookbackDelta, !StaleNaN.isStale(point.value) else { continue }
            out.append(Sample(labels: series.labels, value: point.value, timestamp: point.timestamp))
        }
        try self.countSamples(out.count)
        return out
    }

    /// Each series' samples in `[t - range, t]` (both ends included, as in 2.42; 3.0 excludes the
    /// start), staleness markers left out, series without samples left out.
    func rangeVector(_ selector: VectorSelector, range: Int64, at time: Int64) throws(QueryError) -> RangeVector {
        let reference = self.resolve(selector.at, time) - selector.offset
        var out: [RangeSeries] = []
        var total = 0
        for series in self.fetch(selector) {
            let last = Self.lastIndex(series.points, atOrBefore: reference)
            guard last >= 0 else { continue }
            let first = Self.lastIndex(series.points, atOrBefore: reference - range - 1) + 1
            guard first <= last else { continue }
            var points = series.points[first...last]
            if points.contains(where: { StaleNaN.isStale($0.value) }) {
                points = ArraySlice(points.filter { !StaleNaN.isStale($0.value) })
                if points.isEmpty { continue }
            }
            total += points.count
            out.append(RangeSeries(labels: series.labels, points: points, unnamedLabels: series.unnamedLabels))
        }
        try self.countSamples(total)
        return RangeVector(series: out, rangeStart: reference - range, rangeEnd: reference)
    }

    /// The inner expression at every multiple of the step in `[t - range, t]`.
    func subquery(_ subquery: Subquery, at time: Int64) throws(QueryError) -> RangeVector {
        let reference = self.resolve(subquery.at, time) - subquery.offset
        let step = subquery.step ?? self.options.defaultSubqueryStep
        let low = reference - subquery.range
        var stepTime = Self.ceilDivide(low, step) * step
        var order: [Labels] = []
        var byLabels: [Labels: [Point]] = [:]
        var total = 0
        while stepTime <= reference {
            for sample in try self.evaluateVector(subquery.expr, at: stepTime) {
                if byLabels[sample.labels] == nil { order.append(sample.labels) }
                byLabels[sample.labels, default: []].append(Point(stepTime, sample.value))
                total += 1
            }
            try self.countSamples(total)
            stepTime += step
        }
        return RangeVector(series: order.map { RangeSeries(labels: $0, points: byLabels[$0]![...]) }, rangeStart: low, rangeEnd: reference)
    }

    static func ceilDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor != 0 && value > 0 ? quotient + 1 : quotient
    }

    /// The index of the last point at or before `time`, or -1.
    static func lastIndex(_ points: [Point], atOrBefore time: Int64) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].timestamp <= time { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }
}
