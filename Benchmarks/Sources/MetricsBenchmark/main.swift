import ArbiterMetrics
import Foundation
import NIOCore

// Arbiter's metrics registry against swift-server/swift-prometheus 2.4.1, same workloads, same run.
// Times are medians; "ratio" is swift-prometheus time / Arbiter time (above 1: Arbiter is faster).

/// One run of every case; `main` calls it.
enum BenchmarkRun {
    static func run() {
        let quick = CommandLine.arguments.contains("--quick")
        let contenders: [any Contender] = [ArbiterContender(), PrometheusContender()]
        var rows: [(String, String, String, String)] = []

        func record(_ name: String, unit: String, _ measure: (any Contender) -> Double) {
            let ours = measure(contenders[0])
            let theirs = measure(contenders[1])
            let ratio = theirs / ours
            rows.append((name, String(format: "%.2f %@", ours, unit), String(format: "%.2f %@", theirs, unit), String(format: "%.2f×", ratio)))
            print(String(format: "%-44@ arbiter %12.2f %@   swift-prometheus %12.2f %@   ratio %8.2f×", name, ours, unit, theirs, unit, ratio))
        }

        func nanosecondsPerOp(_ duration: Duration, _ operations: Int) -> Double {
            Measure.nanoseconds(duration) / Double(operations)
        }

        let increments = quick ? 2_000_000 : 20_000_000
        let rounds = quick ? 3 : 5
        for threads in [1, 2] {
            let perThread = increments / threads
            record("counter increment, \(threads) thread(s)", unit: "ns/op") { contender in
                let times = (0..<rounds).map { _ in contender.incrementCounter(threads: threads, iterations: perThread) }
                return nanosecondsPerOp(times.sorted()[rounds / 2], perThread)
            }
        }

        var generator = RealisticValues()
        let observations = (0..<1024).map { _ in generator.next(scale: 12) }
        for threads in [1, 2] {
            let perThread = increments / threads
            record("histogram observe, \(threads) thread(s)", unit: "ns/op") { contender in
                let times = (0..<rounds).map { _ in contender.observeHistogram(threads: threads, iterations: perThread, values: observations) }
                return nanosecondsPerOp(times.sorted()[rounds / 2], perThread)
            }
        }

        for count in quick ? [1_000, 10_000] : [1_000, 10_000, 100_000] {
            let labelValues = (0..<count).map { "series-\($0)" }
            record("create \(count) series in one family", unit: "ms") { contender in
                // swift-prometheus is quadratic here: one round of the largest size takes minutes.
                let repeats = count >= 100_000 && contender.name != "arbiter" ? 1 : 3
                let times = (0..<repeats).map { _ in contender.createSeries(count: count, labelValues: labelValues) }
                return Measure.nanoseconds(times.sorted()[repeats / 2]) / 1e6
            }
        }

        let workload = RenderWorkload()
        var renderAllocations: [String: Int] = [:]
        var renderBytes: [String: Int] = [:]
        record("render \(workload.seriesCount) series (text 0.0.4)", unit: "ms") { contender in
            let render = contender.renderWorkload(workload)
            for _ in 0..<3 { renderBytes[contender.name] = render() }
            renderAllocations[contender.name] = Measure.allocations { _ = render() }
            return Measure.nanoseconds(Measure.median(rounds: quick ? 5 : 15) { _ = render() }) / 1e6
        }

        let arbiterRegistry = ArbiterContender.registry(for: workload)
        var openMetricsBuffer = ByteBufferAllocator().buffer(capacity: 0)
        arbiterRegistry.render(.openMetrics, into: &openMetricsBuffer)
        let openMetricsTime = Measure.median(rounds: quick ? 5 : 15) {
            openMetricsBuffer.clear()
            arbiterRegistry.render(.openMetrics, into: &openMetricsBuffer)
        }
        let openMetricsAllocations = Measure.allocations {
            openMetricsBuffer.clear()
            arbiterRegistry.render(.openMetrics, into: &openMetricsBuffer)
        }

        print("")
        print("| case | arbiter | swift-prometheus 2.4.1 | ratio (theirs / ours) |")
        print("|---|---:|---:|---:|")
        for (name, ours, theirs, ratio) in rows { print("| \(name) | \(ours) | \(theirs) | \(ratio) |") }
        print("")
        func describe(_ count: Int?) -> String {
            guard let count else { return "n/a (run through Benchmarks/run to preload the allocation counter)" }
            return String(format: "%d per render, %.5f per series", count, Double(count) / Double(workload.seriesCount))
        }
        for contender in contenders {
            print("render allocations, \(contender.name) (text): \(describe(renderAllocations[contender.name])); output \(renderBytes[contender.name] ?? 0) bytes")
        }
        print(String(format: "render, arbiter (OpenMetrics): %.2f ms; allocations %@; output %d bytes",
                     Measure.nanoseconds(openMetricsTime) / 1e6, describe(openMetricsAllocations), openMetricsBuffer.readableBytes))
    }
}

if let index = CommandLine.arguments.firstIndex(of: "--profile-render"), index + 1 < CommandLine.arguments.count {
    // Renders one contender's registry in a loop, for a profiler to attach to.
    let contender: any Contender = CommandLine.arguments[index + 1] == "arbiter" ? ArbiterContender() : PrometheusContender()
    let render = contender.renderWorkload(RenderWorkload())
    var bytes = 0
    for _ in 0..<200 { bytes = render() }
    print(bytes)
} else {
    BenchmarkRun.run()
}
