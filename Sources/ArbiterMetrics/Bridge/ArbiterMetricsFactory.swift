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
        self.bridge(label, dimensions, fallback: BridgedCounter(nil)) { names, values in
            BridgedCounter(try self.registry.counterFamily(Self.name(label), help: Self.help(label, "counter"), labelNames: names).labels(values))
        }
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        self.bridge(label, dimensions, fallback: BridgedCounter(nil)) { names, values in
            BridgedCounter(try self.registry.counterFamily(Self.name(label), help: Self.help(label, "counter"), labelNames: names).labels(values))
        }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        self.bridge(label, dimensions, fallback: BridgedGauge(nil) as any RecorderHandler) { names, values in
            let help = Self.help(label, "recorder")
            if aggregate {
                return BridgedHistogram(try self.registry.histogramFamily(Self.name(label), help: help, labelNames: names).labels(values), scale: 1)
            }
            return BridgedGauge(try self.registry.gaugeFamily(Self.name(label), help: help, labelNames: names).labels(values))
        }
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        self.bridge(label, dimensions, fallback: BridgedGauge(nil)) { names, values in
            BridgedGauge(try self.registry.gaugeFamily(Self.name(label), help: Self.help(label, "meter"), labelNames: names).labels(values))
        }
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        var name = Self.name(label)
        if !name.hasSuffix("_seconds") { name += "_seconds" }
        return self.bridge(label, dimensions, fallback: BridgedHistogram(nil, scale: 1e-9)) { names, values in
            let family = try self.registry.histogramFamily(name, help: Self.help(label, "timer"), labelNames: names, unit: "seconds")
            return BridgedHistogram(try family.labels(values), scale: 1e-9)
        }
    }

    /// Registers a library's metric, or logs why it cannot and hands back a handler that drops updates.
    private func bridge<Handler>(
        _ label: String, _ dimensions: [(String, String)], fallback: Handler, _ make: ([String], [String]) throws -> Handler
    ) -> Handler {
        let (names, values) = Self.labels(dimensions)
        do {
            return try make(names, values)
        } catch {
            self.registry.logger.error("swift-metrics metric not recorded", metadata: ["metric": "\(label)", "error": "\(error)"])
            return fallback
        }
    }

    // Series are owned by the registry for the life of the process; destroying a handle only drops it.
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

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
