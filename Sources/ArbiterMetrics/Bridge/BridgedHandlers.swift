import CoreMetrics

/// A swift-metrics counter backed by a registry counter (`nil` when it could not be registered).
final class BridgedCounter: CounterHandler, FloatingPointCounterHandler {
    let counter: Counter?
    init(_ counter: Counter?) { self.counter = counter }
    func increment(by amount: Int64) { self.counter?.increment(by: Int(amount)) }
    func increment(by amount: Double) { self.counter?.increment(by: amount) }
    func reset() { self.counter?.reset() }
}

/// A swift-metrics meter or non-aggregating recorder backed by a registry gauge.
final class BridgedGauge: MeterHandler, RecorderHandler {
    let gauge: Gauge?
    init(_ gauge: Gauge?) { self.gauge = gauge }
    func set(_ value: Int64) { self.gauge?.set(Double(value)) }
    func set(_ value: Double) { self.gauge?.set(value) }
    func increment(by amount: Double) { self.gauge?.add(amount) }
    func decrement(by amount: Double) { self.gauge?.add(-amount) }
    func record(_ value: Int64) { self.gauge?.set(Double(value)) }
    func record(_ value: Double) { self.gauge?.set(value) }
}

/// A swift-metrics timer or aggregating recorder backed by a registry histogram; `scale` turns the
/// reported unit into the base unit (nanoseconds into seconds for timers).
final class BridgedHistogram: RecorderHandler, TimerHandler {
    let histogram: Histogram?
    let scale: Double
    init(_ histogram: Histogram?, scale: Double) {
        self.histogram = histogram
        self.scale = scale
    }
    func record(_ value: Int64) { self.histogram?.observe(Double(value) * self.scale) }
    func record(_ value: Double) { self.histogram?.observe(value * self.scale) }
    func recordNanoseconds(_ duration: Int64) { self.histogram?.observe(Double(duration) * 1e-9) }
}
