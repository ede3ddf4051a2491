import Prometheus

/// swift-server/swift-prometheus 2.4.1, driven through its non-deprecated API.
struct PrometheusContender: Contender {
    let name = "swift-prometheus"

    func incrementCounter(threads: Int, iterations: Int) -> Duration {
        let counter = PrometheusCollectorRegistry().makeCounter(descriptor: .init(metricName: "bench_total", unitName: "", helpText: "Bench."))
        return Measure.parallel(threads: threads) { _ in
            for _ in 0..<iterations { counter.increment() }
        }
    }

    func observeHistogram(threads: Int, iterations: Int, values: [Double]) -> Duration {
        let histogram = PrometheusCollectorRegistry().makeValueHistogram(
            descriptor: .init(metricName: "bench_seconds", unitName: "", helpText: "Bench."),
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
        let mask = values.count - 1
        return Measure.parallel(threads: threads) { thread in
            var index = thread * 7
            for _ in 0..<iterations {
                histogram.record(values[index & mask])
                index &+= 1
            }
        }
    }

    func createSeries(count: Int, labelValues: [String]) -> Duration {
        let registry = PrometheusCollectorRegistry()
        let descriptor = MetricNameDescriptor(metricName: "bench_series_total", unitName: "", helpText: "Bench.")
        let start = ContinuousClock.now
        for index in 0..<count {
            registry.makeCounter(descriptor: descriptor, labels: [("id", labelValues[index])]).increment()
        }
        return start.duration(to: .now)
    }

    func renderWorkload(_ workload: RenderWorkload) -> () -> Int {
        let registry = PrometheusCollectorRegistry()
        var values = RealisticValues()
        for family in 0..<workload.counterFamilies {
            let descriptor = MetricNameDescriptor(metricName: "bench_requests_\(family)_total", unitName: "", helpText: "Requests \(family).")
            for series in 0..<workload.seriesPerFamily {
                let (instance, path) = workload.labels(series)
                registry.makeCounter(descriptor: descriptor, labels: [("instance", instance), ("path", path)]).increment(by: values.next(scale: 1e7))
            }
        }
        for family in 0..<workload.gaugeFamilies {
            let descriptor = MetricNameDescriptor(metricName: "bench_temperature_\(family)_celsius", unitName: "", helpText: "Gauge \(family).")
            for series in 0..<workload.seriesPerFamily {
                let (instance, path) = workload.labels(series)
                registry.makeGauge(descriptor: descriptor, labels: [("instance", instance), ("path", path)]).set(values.next(scale: 100) - 20)
            }
        }
        for family in 0..<workload.histogramFamilies {
            let descriptor = MetricNameDescriptor(metricName: "bench_latency_\(family)_seconds", unitName: "", helpText: "Latency \(family).")
            for series in 0..<workload.seriesPerHistogram {
                let (instance, path) = workload.labels(series)
                let histogram = registry.makeValueHistogram(
                    descriptor: descriptor, labels: [("instance", instance), ("path", path)],
                    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
                for _ in 0..<workload.observationsPerHistogram { histogram.record(values.next(scale: 12)) }
            }
        }
        var output: [UInt8] = []
        return {
            output.removeAll(keepingCapacity: true)
            registry.emit(into: &output)
            return output.count
        }
    }
}
