import ArbiterTSDB
/// The functions over a range vector, per series, with Prometheus 2.42's numerics.
enum RangeFunctions {
    struct Window {
        /// The range's start and end (Unix ms) for extrapolation.
        var start: Int64
        var end: Int64
        /// The evaluation time (what `predict_linear` predicts from).
        var time: Int64
    }

    /// The function's value for one series, or `nil` when it has none (too few points).
    static func apply(_ name: String, _ points: UnsafeBufferPointer<Point>, _ window: Window, _ scalars: [Double]) -> Double? {
        switch name {
        case "rate": return Self.extrapolatedRate(points, window, isCounter: true, isRate: true)
        case "increase": return Self.extrapolatedRate(points, window, isCounter: true, isRate: false)
        case "delta": return Self.extrapolatedRate(points, window, isCounter: false, isRate: false)
        case "irate": return Self.instantValue(points, isRate: true)
        case "idelta": return Self.instantValue(points, isRate: false)
        case "deriv":
            guard points.count >= 2 else { return nil }
            return Self.linearRegression(points, interceptTime: points[0].timestamp).slope
        case "predict_linear":
            guard points.count >= 2 else { return nil }
            let (slope, intercept) = Self.linearRegression(points, interceptTime: window.time)
            return slope * scalars[0] + intercept
        case "holt_winters": return Self.holtWinters(points, smoothing: scalars[0], trend: scalars[1])
        case "changes":
            var changes = 0.0
            for index in points.indices.dropFirst() {
                let (previous, current) = (points[index - 1].value, points[index].value)
                if current != previous && !(current.isNaN && previous.isNaN) { changes += 1 }
            }
            return changes
        case "resets":
            var resets = 0.0
            for index in points.indices.dropFirst() where points[index].value < points[index - 1].value { resets += 1 }
            return resets
        case "avg_over_time": return Self.average(points)
        case "count_over_time": return Double(points.count)
        case "sum_over_time": return Self.kahanSum(points.lazy.map(\.value))
        case "min_over_time":
            var minimum = points[0].value
            for point in points where point.value < minimum || minimum.isNaN { minimum = point.value }
            return minimum
        case "max_over_time":
            var maximum = points[0].value
            for point in points where point.value > maximum || maximum.isNaN { maximum = point.value }
            return maximum
        case "last_over_time": return points[points.count - 1].value
        case "present_over_time": return 1
        case "quantile_over_time": return Evaluator.quantile(scalars[0], points.map(\.value))
        case "stdvar_over_time": return Self.variance(points)
        case "stddev_over_time": return Self.variance(points).squareRoot()
        default: return nil
        }
    }

    /// `rate`, `increase` and `delta`: the change over the samples, corrected for counter resets,
    /// extrapolated towards the range's ends (not past half a sample interval beyond the data, and
    /// not below zero for a counter).
    static func extrapolatedRate(_ points: UnsafeBufferPointer<Point>, _ window: Window, isCounter: Bool, isRate: Bool) -> Double? {
        guard points.count >= 2 else { return nil }
        let first = points[0]
        let last = points[points.count - 1]
        var result = last.value - first.value
        if isCounter {
            var previous = 0.0
            for point in points {
                if point.value < previous { result += previous }
                previous = point.value
            }
        }
        var durationToStart = Double(first.timestamp - window.start) / 1000
        let durationToEnd = Double(window.end - last.timestamp) / 1000
        let sampledInterval = Double(last.timestamp - first.timestamp) / 1000
        let averageInterval = sampledInterval / Double(points.count - 1)
        if isCounter && result > 0 && first.value >= 0 {
            let durationToZero = sampledInterval * (first.value / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = averageInterval * 1.1
        var extrapolateTo = sampledInterval
        extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2
        // One factor, then one multiplication: the same rounding as 2.42.
        var factor = extrapolateTo / sampledInterval
        if isRate { factor /= Double(window.end - window.start) / 1000 }
        return result * factor
    }

    /// `irate` and `idelta`: the last two samples.
    static func instantValue(_ points: UnsafeBufferPointer<Point>, isRate: Bool) -> Double? {
        guard points.count >= 2 else { return nil }
        let last = points[points.count - 1]
        let previous = points[points.count - 2]
        var result = last.value - previous.value
        if isRate && last.value < previous.value { result = last.value }
        let interval = last.timestamp - previous.timestamp
        guard interval != 0 else { return nil }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    /// Least squares over the points, x in seconds from `interceptTime`.
    static func linearRegression(_ points: UnsafeBufferPointer<Point>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var (sumX, cX, sumY, cY, sumXY, cXY, sumX2, cX2) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        let initial = points[0].value
        var constant = true
        for (index, point) in points.enumerated() {
            if constant && index > 0 && point.value != initial { constant = false }
            n += 1
            let x = Double(point.timestamp - interceptTime) / 1000
            (sumX, cX) = Self.kahanAdd(x, sumX, cX)
            (sumY, cY) = Self.kahanAdd(point.value, sumY, cY)
            (sumXY, cXY) = Self.kahanAdd(x * point.value, sumXY, cXY)
            (sumX2, cX2) = Self.kahanAdd(x * x, sumX2, cX2)
        }
        if constant { return initial.isInfinite ? (.nan, .nan) : (0, initial) }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covariance = sumXY - sumX * sumY / n
        let variance = sumX2 - sumX * sumX / n
        let slope = covariance / variance
        return (slope, sumY / n - slope * sumX / n)
    }

    static func holtWinters(_ points: UnsafeBufferPointer<Point>, smoothing: Double, trend: Double) -> Double? {
        guard points.count >= 2 else { return nil }
        var s0 = 0.0
        var s1 = points[0].value
        var b = points[1].value - points[0].value
        for index in 1..<points.count {
            let x = smoothing * points[index].value
            if index > 1 { b = trend * (s1 - s0) + (1 - trend) * b }
            let y = (1 - smoothing) * (s1 + b)
            (s0, s1) = (s1, x + y)
        }
        return s1
    }

    /// The mean, kept finite-safe as 2.42 does: once infinite it stays so unless an infinity of
    /// the other sign or a NaN arrives.
    static func average(_ points: UnsafeBufferPointer<Point>) -> Double {
        var mean = 0.0
        var count = 0.0
        var compensation = 0.0
        for point in points {
            count += 1
            if mean.isInfinite {
                if point.value.isInfinite && (mean > 0) == (point.value > 0) { continue }
                if !point.value.isInfinite && !point.value.isNaN { continue }
            }
            (mean, compensation) = Self.kahanAdd(point.value / count - mean / count, mean, compensation)
        }
        return mean.isInfinite ? mean : mean + compensation
    }

    static func variance(_ points: UnsafeBufferPointer<Point>) -> Double {
        var count = 0.0
        var (mean, cMean, aux, cAux) = (0.0, 0.0, 0.0, 0.0)
        for point in points {
            count += 1
            let delta = point.value - (mean + cMean)
            (mean, cMean) = Self.kahanAdd(delta / count, mean, cMean)
            (aux, cAux) = Self.kahanAdd(delta * (point.value - (mean + cMean)), aux, cAux)
        }
        return (aux + cAux) / count
    }

    static func kahanSum(_ values: some Sequence<Double>) -> Double {
        var (sum, compensation) = (0.0, 0.0)
        for value in values { (sum, compensation) = Self.kahanAdd(value, sum, compensation) }
        return sum.isInfinite ? sum : sum + compensation
    }

    /// Neumaier's compensated addition.
    static func kahanAdd(_ increment: Double, _ sum: Double, _ compensation: Double) -> (Double, Double) {
        let total = sum + increment
        var c = compensation
        if abs(sum) >= abs(increment) { c += (sum - total) + increment } else { c += (increment - total) + sum }
        return (total, c)
    }
}
