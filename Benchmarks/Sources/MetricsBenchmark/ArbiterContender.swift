import ArbiterMetrics
import NIOCore

struct ArbiterContender: Contender {
    let name = "arbiter"

    func incrementCounter(threads: Int, iterations: Int) -> Duration {
        let counter = try! MetricRegistry().counter("bench_total", help: "Bench.")
        return Measure.parallel(threads: threads) { _ in
            for _ in 0..<iterations { counter.increment() }
        }
    }

    func observeHistogram(threads: Int, iterations: Int, values: [Double]) -> Duration {
        let histogram = try! MetricRegistry().histogram("bench_seconds", help: "Bench.")
        let mask = values.count - 1
        return Measure.parallel(threads: threads) { thread in
            var index = thread * 7
            for _ in 0..<iterations {
                histogram.observe(values[index & mask])
                index &+= 1
            }
        }
    }

    func createSeries(count: Int, labelValues: [String]) -> Duration {
        let registry = MetricRegistry(options: .init(seriesLimit: count))
        let family = try! registry.counterFamily("bench_series_total", help: "Bench.", labelNames: ["id"])
        let start = ContinuousClock.now
        for index in 0..<count {
            try! family.labels(labelValues[index]).increment()
        }
        return start.duration(to: .now)
    }

    func renderWorkload(_ workload: RenderWorkload) -> () -> Int {
        let registry = Self.registry(for: workload)
        // Arbiter renders into a NIO ByteBuffer, the type its HTTP server sends; reused between renders
        // as swift-prometheus reuses its byte array.
        var output = ByteBufferAllocator().buffer(capacity: 0)
        return {
            output.clear()
            registry.render(.text, into: &output)
            return output.readableBytes
        }
    }

    /// The render workload in an Arbiter registry (also rendered as OpenMetrics by the benchmark).
    static func registry(for workload: RenderWorkload) -> MetricRegistry {
        let registry = MetricRegistry(options: .init(seriesLimit: workload.seriesPerFamily))
        var values = RealisticValues()
        for family in 0..<workload.counterFamilies {
            let counters = try! registry.counterFamily("bench_requests_\(family)_total", help: "Requests \(family).", labelNames: ["instance", "path"])
            for series in 0..<workload.seriesPerFamily {
                let (instance, path) = workload.labels(series)
                try! counters.labels(instance, path).increment(by: values.next(scale: 1e7))
            }
        }
        for family in 0..<workload.gaugeFamilies {
            let gauges = try! registry.gaugeFamily("bench_temperature_\(family)_celsius", help: "Gauge \(family).", labelNames: ["instance", "path"])
            for series in 0..<workload.seriesPerFamily {
                let (instance, path) = workload.labels(series)
                try! gauges.labels(instance, path).set(values.next(scale: 100) - 20)
            }
        }
        for family in 0..<workload.histogramFamilies {
            let histograms = try! registry.histogramFamily("bench_latency_\(family)_seconds", help: "Latency \(family).", labelNames: ["instance", "path"])
            for series in 0..<workload.seriesPerHistogram {
                let (instance, path) = workload.labels(series)
                let histogram = try! histograms.labels(instance, path)
                for _ in 0..<workload.observationsPerHistogram { histogram.observe(values.next(scale: 12)) }
            }
        }
        return registry
    }
}
