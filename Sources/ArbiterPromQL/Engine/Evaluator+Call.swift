import ArbiterTSDB

extension Evaluator {
    func call(_ call: Call, at time: Int64) throws(QueryError) -> Value {
        let name = call.function.name
        switch name {
        case "time": return .scalar(Double(time) / 1000)
        case "pi": return .scalar(.pi)
        case "vector": return .vector([Sample(labels: Labels([(String, String)]()), value: try self.evaluateScalar(call.args[0], at: time), timestamp: time)])
        case "scalar":
            let samples = try self.evaluateVector(call.args[0], at: time)
            return .scalar(samples.count == 1 ? samples[0].value : .nan)
        case "absent":
            let samples = try self.evaluateVector(call.args[0], at: time)
            return .vector(samples.isEmpty ? [Sample(labels: Self.absentLabels(call.args[0]), value: 1, timestamp: time)] : [])
        case "timestamp":
            let arg = call.args[0].unwrapped
            let samples = try self.evaluateVector(arg, at: time)
            let ownTime: Bool
            if case .vectorSelector = arg { ownTime = true } else { ownTime = false }
            return .vector(try Self.unique(samples.map {
                Sample(labels: $0.labels.droppingMetricName, value: Double(ownTime ? $0.timestamp : time) / 1000, timestamp: time)
            }))
        default: break
        }
        if call.function.argumentTypes.contains(.matrix) { return .vector(try self.rangeCall(call, at: time)) }
        return .vector(try self.instantCall(call, at: time))
    }

    static func unique(_ samples: [Sample]) throws(QueryError) -> [Sample] {
        try Self.checkUnique(samples)
        return samples
    }

    /// A function over a range vector (a selector or a subquery), called once per series.
    private func rangeCall(_ call: Call, at time: Int64) throws(QueryError) -> [Sample] {
        let name = call.function.name
        var scalars: [Double] = []
        var matrixArg: Expr = call.args[0]
        for (position, arg) in call.args.enumerated() {
            if call.function.argumentTypes[position] == .matrix { matrixArg = arg } else { scalars.append(try self.evaluateScalar(arg, at: time)) }
        }
        let range: RangeVector
        switch matrixArg.unwrapped {
        case .matrixSelector(let selector, let length): range = try self.rangeVector(selector, range: length, at: time)
        case .subquery(let subquery): range = try self.subquery(subquery, at: time)
        default: range = RangeVector(series: [], rangeStart: time, rangeEnd: time)
        }
        if name == "absent_over_time" {
            return range.series.isEmpty ? [Sample(labels: Self.absentLabels(matrixArg), value: 1, timestamp: time)] : []
        }
        if name == "holt_winters" {
            for factor in scalars where !(factor > 0 && factor < 1) {
                let which = factor == scalars[0] ? "smoothing" : "trend"
                throw QueryError("invalid \(which) factor. Expected: 0 < \(which == "smoothing" ? "sf" : "tf") < 1, got: \(ValueFormat.string(factor))")
            }
        }
        let window = RangeFunctions.Window(start: range.rangeStart, end: range.rangeEnd, time: time)
        var out: [Sample] = []
        out.reserveCapacity(range.series.count)
        for series in range.series {
            guard let value = series.points.withUnsafeBufferPointer({ RangeFunctions.apply(name, $0, window, scalars) }) else { continue }
            let labels = name == "last_over_time" ? series.labels : (series.unnamedLabels ?? series.labels.droppingMetricName)
            out.append(Sample(labels: labels, value: value, timestamp: time))
        }
        // Series of one metric name stay distinct without it; only a selection across names can collide.
        if name == "last_over_time" || Self.selectsOneName(matrixArg) { return out }
        return try Self.unique(out)
    }

    /// A function over an instant vector.
    private func instantCall(_ call: Call, at time: Int64) throws(QueryError) -> [Sample] {
        let name = call.function.name
        var vector: [Sample] = []
        var scalars: [Double] = []
        var strings: [String] = []
        for arg in call.args {
            switch try self.evaluate(arg, at: time) {
            case .vector(let samples): vector = samples
            case .scalar(let value): scalars.append(value)
            case .string(let value): strings.append(value)
            case .matrix: break
            }
        }
        if call.args.isEmpty, CalendarFunctions.names.contains(name) {
            vector = [Sample(labels: Labels([(String, String)]()), value: Double(time) / 1000, timestamp: time)]
        }
        switch name {
        case "sort", "sort_desc":
            return InstantFunctions.sort(vector, descending: name == "sort_desc").map { Sample(labels: $0.labels, value: $0.value, timestamp: time) }
        case "label_replace": return try Self.unique(try LabelFunctions.replace(vector, strings, at: time))
        case "label_join": return try Self.unique(try LabelFunctions.join(vector, strings, at: time))
        case "histogram_quantile": return try Self.unique(HistogramQuantile.evaluate(scalars[0], vector, at: time))
        case "histogram_count", "histogram_sum", "histogram_fraction": return []  // native histograms only
        default: break
        }
        if name == "clamp", scalars[1] < scalars[0] { return [] }
        var out: [Sample] = []
        out.reserveCapacity(vector.count)
        for sample in vector {
            let value = CalendarFunctions.names.contains(name)
                ? CalendarFunctions.apply(name, sample.value) : InstantFunctions.apply(name, sample.value, scalars)
            out.append(Sample(labels: sample.labels.droppingMetricName, value: value, timestamp: time))
        }
        return try Self.unique(out)
    }

    /// Whether the expression is a selector (or a range over one) with an equality matcher on the name.
    static func selectsOneName(_ expr: Expr) -> Bool {
        switch expr.unwrapped {
        case .vectorSelector(let selector), .matrixSelector(let selector, _):
            return selector.matchers.contains { $0.name == Labels.metricName && $0.kind == .equal }
        default:
            return false
        }
    }

    /// The labels `absent()` gives its one sample: the selector's equality matchers, except the
    /// metric name and labels matched more than once.
    static func absentLabels(_ expr: Expr) -> Labels {
        let matchers: [LabelMatcher]
        switch expr.unwrapped {
        case .vectorSelector(let selector), .matrixSelector(let selector, _): matchers = selector.matchers
        default: return Labels([(String, String)]())
        }
        var counts: [String: Int] = [:]
        for matcher in matchers { counts[matcher.name, default: 0] += 1 }
        let pairs = matchers.filter { $0.kind == .equal && $0.name != Labels.metricName && counts[$0.name] == 1 }.map { ($0.name, $0.value) }
        return Labels(pairs)
    }
}
