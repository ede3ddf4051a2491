import CoreMetrics
import Logging

/// Lands metrics that libraries report through swift-metrics (Hummingbird's request metrics, say) in
/// an Arbiter registry.
///
/// Labels become Prometheus names: characters outside `[a-zA-Z0-9_:]` turn into `_`, counters gain
/// `_total`, timers become histograms in seconds with a `_seconds` suffix, aggregating recorders
/// become histograms, and meters and other recorders become gauges. Dimensions become labels, sorted
/// by name. A metric that cannot be registered (its name is taken by a different type, say) is
/// logged once and its updates are dropped, never a crash.
///
/// - Important: Bootstrap it once, in `main`, before anything creates a swift-metrics metric:
///   `MetricsSystem.bootstrap(ArbiterMetricsFactory(registry: registry))`.
public struct ArbiterMetricsFactory: MetricsFactory {
    let registry: MetricRegistry

    /// - Parameter registry: The registry the metrics land in.
    public init(registry: MetricRegistry) {
        self.registry = registry
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let (names, values) = Self.labels(dimensions)
        let name = Self.name(label)
        do {
            let family = try self.registry.counterFamily(name, help: Self.help(label, "counter"), labelNames: names)
            return BridgedCounter(try family.labels(values))
        } catch {
            self.refuse(label, error)
            return BridgedCounter(nil)
        }
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        let (names, values) = Self.labels(dimensions)
        do {
            let family = try self.registry.counterFamily(Self.name(label), help: Self.help(label, "counter"), labelNames: names)
            return BridgedCounter(try family.labels(values))
        } catch {
            self.refuse(label, error)
            return BridgedCounter(nil)
        }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let (names, values) = Self.labels(dimensions)
        do {
            if aggregate {
                let family = try self.registry.histogramFamily(Self.name(label), help: Self.help(label, "recorder"), labelNames: names)
                return BridgedHistogram(try family.labels(values), scale: 1)
            }
            let family = try self.registry.gaugeFamily(Self.name(label), help: Self.help(label, "recorder"), labelNames: names)
            return BridgedGauge(try family.labels(values))
        } catch {
            self.refuse(label, error)
            return BridgedGauge(nil)
        }
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        let (names, values) = Self.labels(dimensions)
        do {
            let family = try self.registry.gaugeFamily(Self.name(label), help: Self.help(label, "meter"), labelNames: names)
            return BridgedGauge(try family.labels(values))
        } catch {
            self.refuse(label, error)
            return BridgedGauge(nil)
        }
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let (names, values) = Self.labels(dimensions)
        var name = Self.name(label)
        if !name.hasSuffix("_seconds") { name += "_seconds" }
        do {
            let family = try self.registry.histogramFamily(name, help: Self.help(label, "timer"), labelNames: names, unit: "seconds")
            return BridgedHistogram(try family.labels(values), scale: 1e-9)
        } catch {
            self.refuse(label, error)
            return BridgedHistogram(nil, scale: 1e-9)
        }
    }

    // Series are owned by the registry for the life of the process; destroying a handle only drops it.
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    private func refuse(_ label: String, _ error: any Error) {
        self.registry.logger.error(
            "swift-metrics metric not recorded", metadata: ["metric": "\(label)", "error": "\(error)"])
    }

    static func name(_ label: String) -> String {
        var bytes = Array(label.utf8)
        for index in bytes.indices {
            let b = bytes[index]
            let allowed = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == 0x3A || (index > 0 && b >= 0x30 && b <= 0x39)
            if !allowed { bytes[index] = UInt8(ascii: "_") }
        }
        return bytes.isEmpty ? "_" : String(decoding: bytes, as: UTF8.self)
    }

    static func labels(_ dimensions: [(String, String)]) -> ([String], [String]) {
        let sorted = dimensions.map { (Self.labelName($0.0), $0.1) }.sorted { $0.0 < $1.0 }
        return (sorted.map(\.0), sorted.map(\.1))
    }

    private static func labelName(_ dimension: String) -> String {
        let name = Self.name(dimension).replacingColons()
        return name.hasPrefix("__") ? "x" + name : name
    }

    private static func help(_ label: String, _ kind: String) -> String {
        "\(label), reported through swift-metrics as a \(kind)."
    }
}

extension String {
    fileprivate func replacingColons() -> String {
        String(decoding: self.utf8.map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }
}
