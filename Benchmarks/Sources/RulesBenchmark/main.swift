import ArbiterRules
import ArbiterTesting
import BenchmarkSupport
import Foundation

// 1,000 rules (500 recording, 500 alerting, from Benchmarks/rules/generate) over 100,000 series in
// a metrics registry sampled every 5 s: Arbiter's round in-process, then Prometheus 2.42 scraping
// the same registry and evaluating the same file.
let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let skipPrometheus = arguments.contains("--arbiter-only")
let rulesPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("rules/bench-rules.yml").path

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}


let rules = try RuleFile.load(rulesPath)
log("rules: \(rules.ruleCount) in \(rules.groups.count) group(s); series: \(Workload.seriesCount)")

let arbiterWorkload = try Workload()
let (warmup, measured) = quick ? (14, 6) : (62, 30)
log("arbiter: \(warmup) warm-up rounds, then \(measured) measured (simulated 5 s apart)")
let arbiter = ArbiterRounds(workload: arbiterWorkload, rules: rules, warmup: warmup, measured: measured).run()
if !arbiter.failures.isEmpty { log("rule failures: \(arbiter.failures.prefix(5))") }

let arbiterRound = median(arbiter.evaluateSeconds)
let arbiterSample = median(arbiter.sampleSeconds)
let arbiterCPUShare = arbiter.cpuSeconds / (Double(arbiter.measuredRounds) * 5)
let bytesPerSample = Double(arbiter.chunkBytes) / Double(max(arbiter.samples, 1))

emit("""

    Rules benchmark: \(rules.ruleCount) rules over \(Workload.seriesCount) series, 5 s rounds
    Arbiter (in-process, \(arbiter.measuredRounds) measured rounds after \(warmup) warm-up):
      evaluation round   median \(f(arbiterRound)) s   p90 \(f(percentile(arbiter.evaluateSeconds, 0.9))) s
      sampling round     median \(f(arbiterSample)) s   (render 100k series, parse, append)
      CPU share          \(f(arbiterCPUShare * 100, 1)) % of one core (sampling + evaluation, per 5 s)
      chunk memory       \(f(bytesPerSample, 2)) bytes/sample (\(arbiter.chunkBytes) bytes, \(arbiter.samples) samples)
                         registry series \(f(Double(arbiter.registryBytes) / Double(max(arbiter.registrySamples, 1)), 2)) bytes/sample, rule output \(f(Double(arbiter.chunkBytes - arbiter.registryBytes) / Double(max(arbiter.samples - arbiter.registrySamples, 1)), 2))
      firing alerts      \(arbiter.firingAlerts)
    """)

if !skipPrometheus {
    let prometheusWorkload = try Workload()
    log("prometheus: scraping the registry every 5 s and evaluating the same file")
    let prometheus = try await PrometheusRounds(
        workload: prometheusWorkload, rulesPath: rulesPath, warmup: quick ? .seconds(40) : .seconds(75), window: quick ? .seconds(30) : .seconds(90)
    ).run()
    let prometheusRound = median(prometheus.roundSeconds)
    let prometheusCPUShare = prometheus.cpuSeconds / max(prometheus.windowSeconds, 1)
    emit("""
        Prometheus 2.42 (scrape + evaluate, \(prometheus.roundSeconds.count) rounds seen in \(f(prometheus.windowSeconds, 0)) s):
          evaluation round   median \(f(prometheusRound)) s   p90 \(f(percentile(prometheus.roundSeconds, 0.9))) s   (prometheus_rule_group_last_duration_seconds)
          CPU share          \(f(prometheusCPUShare * 100, 1)) % of one core (scraping + evaluation + TSDB)
          missed iterations  \(Int(prometheus.missedIterations))
        Ratios (Prometheus / Arbiter; above 1 Arbiter is faster or lighter):
          evaluation round   \(f(prometheusRound / arbiterRound, 2))×   (target ≥ 2×)
          CPU share          \(f(prometheusCPUShare / arbiterCPUShare, 2))×
        """)
}
