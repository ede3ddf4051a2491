import ArbiterCore
import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB
import BenchmarkSupport
import Foundation

/// Arbiter's side: the registry sampled into the head and the rule group evaluated, round after
/// round at simulated 5-second steps, timed separately.
struct ArbiterRounds {
    struct Result {
        var sampleSeconds: [Double] = []
        var evaluateSeconds: [Double] = []
        var cpuSeconds = 0.0
        var measuredRounds = 0
        var chunkBytes = 0
        var samples = 0
        var failures: [String] = []
        var firingAlerts = 0
        /// The registry's series alone.
        var registryBytes = 0
        var registrySamples = 0
    }

    let workload: Workload
    let rules: RuleFile
    let warmup: Int
    let measured: Int

    func run() -> Result {
        let head = Head(options: .init(retention: .seconds(7200), maxSeries: 1_000_000))
        let environment = RuleEnvironment(engine: Engine(), storage: head)
        let groups = self.rules.groups.map { RuleGroup(file: self.rules.path, definition: $0, defaultInterval: 5000) }
        var result = Result()
        var time = (Int64(Date().timeIntervalSince1970 * 1000) / 5000) * 5000
        var text: [UInt8] = []
        for round in 0..<(self.warmup + self.measured) {
            let measuring = round >= self.warmup
            let cpuBefore = Self.cpuSeconds()
            self.workload.advance()
            let sampleStart = ContinuousClock.now
            text.removeAll(keepingCapacity: true)
            self.workload.registry.render(.text, into: &text)
            let samples = (try? TextExpositionParser.parse(text)) ?? []
            head.append(round: samples, at: time)
            let evaluateStart = ContinuousClock.now
            for group in groups {
                let evaluation = group.evaluate(at: time, environment: environment)
                if measuring, round == self.warmup + self.measured - 1, let evaluation {
                    result.failures += evaluation.failures.map { "\($0.rule): \($0.error)" }
                }
            }
            let end = ContinuousClock.now
            if measuring {
                result.sampleSeconds.append((evaluateStart - sampleStart).seconds)
                result.evaluateSeconds.append((end - evaluateStart).seconds)
                result.cpuSeconds += Self.cpuSeconds() - cpuBefore
                result.measuredRounds += 1
            }
            if round % 10 == 9 {
                FileHandle.standardError.write(Data("  arbiter round \(round + 1): evaluate \(String(format: "%.3f", (end - evaluateStart).seconds)) s\n".utf8))
            }
            time += 5000
        }
        let statistics = head.statistics()
        result.chunkBytes = statistics.chunkBytes
        result.samples = statistics.samplesAppended
        if let matcher = try? LabelMatcher(Labels.metricName, .regex, "bench_metric_[0-9]+_total") {
            (result.registryBytes, result.registrySamples) = head.footprint(matching: [matcher])
        }
        result.firingAlerts = groups.flatMap(\.rules).reduce(0) { $0 + $1.alerts.alerts.values.filter { $0.state == .firing }.count }
        return result
    }

    /// User plus system CPU time of this process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
