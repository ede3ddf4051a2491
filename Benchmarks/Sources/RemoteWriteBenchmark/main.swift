import ArbiterCore
import ArbiterMetrics
import ArbiterRemoteWrite
import ArbiterTSDB
import ArbiterTesting
import BenchmarkSupport
import Foundation

// (a) Encode + compress throughput of one 100,000-series round on one core, in-process.
// (b) Forwarding those 100,000 series every 5 s to a real Prometheus 2.42 receiver: Arbiter (its
//     own process) and then Prometheus 2.42 in agent mode scraping the same registry, in the same
//     run, each measured over the same window.
let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else { return fallback }
    return value
}
let warmup = Duration.seconds(option("--warmup", 30))
let window = Duration.seconds(option("--window", 60))
// `--encode-only` stops after (a), to profile the encoder.

if arguments.count > 1, arguments[1] == "arbiter-side" {
    try await ArbiterSide.run(receiver: arguments[2], directory: arguments[3], warmup: warmup, window: window)
    exit(0)
}

// (a)
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let workload = try Workload()
var renderSeconds: [Double] = []
var parseSeconds: [Double] = []
var round: [(Labels, Double)] = []
let reader = ExpositionRoundReader()
for _ in 0..<5 {
    workload.advance()
    var text: [UInt8] = []
    var clock = ContinuousClock.now
    workload.registry.render(.text, into: &text)
    renderSeconds.append((ContinuousClock.now - clock).seconds)
    round = []
    clock = ContinuousClock.now
    round = try reader.read(text)
    parseSeconds.append((ContinuousClock.now - clock).seconds)
}
emit("(a) one round: render \(f(median(renderSeconds) * 1000, 1)) ms, read \(f(median(parseSeconds) * 1000, 1)) ms (every value changed, labels reused from the last round), medians of 5 (the sampler's work, shared with the TSDB)")
let encoder = RoundEncoder(externalLabels: [:], relabel: [], maxSamplesPerSend: 2_000)
_ = encoder.encode(round, at: 1_000)  // builds the label cache, as the first round does
var encodeSeconds: [Double] = []
var bytes = 0
for index in 0..<10 {
    let started = ContinuousClock.now
    let blocks = encoder.encode(round, at: Int64(2_000 + index))
    let took = ContinuousClock.now - started
    encodeSeconds.append(took.seconds)
    bytes = blocks.reduce(0) { $0 + $1.payload.count }
}
let encodeMedian = median(encodeSeconds)
let encodeRate = Double(round.count) / encodeMedian
emit("(a) encode + snappy: \(round.count) samples in \(f(encodeMedian * 1000, 1)) ms (median of 10) = \(f(encodeRate / 1e6, 2)) M samples/s on one core; \(f(Double(bytes) / Double(round.count), 2)) compressed bytes/sample")
if arguments.contains("--encode-only") { exit(0) }

// (b)
let receiver = try await PrometheusServer.start(scrapeConfigs: "", scrapeInterval: "5s", arguments: ["--storage.tsdb.retention.time=1h"])
let url = "\(receiver.baseURL)/api/v1/write"
log("receiver: Prometheus 2.42 at \(url)")
let scratch = try TemporaryDirectory(prefix: "rw-bench")
let child = try ChildProcess(
    executable: CommandLine.arguments[0],
    arguments: ["arbiter-side", url, scratch.file("queue"), "--warmup", "\(warmup.components.seconds)", "--window", "\(window.components.seconds)"],
    directory: scratch.path, name: "arbiter-side")
log("arbiter side (pid \(child.pid)): warm-up \(warmup), window \(window)")
_ = await child.waitForExit(timeout: warmup + window + .seconds(60))
log(child.stderr.split(separator: "\n").filter { $0.contains("resident") }.joined(separator: "\n"))
let fields = child.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
guard fields.count == 4 else {
    log("arbiter side failed:\n\(child.stdout)\n\(child.stderr)")
    exit(1)
}
let arbiter = (cpu: fields[0], samples: fields[1], window: fields[2], rss: fields[3])
scratch.remove()
log("agent side: warm-up \(warmup), window \(window)")
let agent = try await AgentSide(receiver: url, warmup: warmup, window: window).run()
await receiver.stop()

let arbiterPerMillion = arbiter.cpu / max(arbiter.samples, 1) * 1e6
let agentPerMillion = agent.cpuSeconds / max(agent.samples, 1) * 1e6
emit("""
    (b) forwarding \(Workload.seriesCount) series every 5 s to Prometheus 2.42 (remote-write receiver), \(Int(window.components.seconds)) s window
                      samples sent   CPU s   CPU s / M samples   peak RSS
      Arbiter         \(Int(arbiter.samples))   \(f(arbiter.cpu, 2))   \(f(arbiterPerMillion, 3))   \(f(arbiter.rss / 1e6, 1)) MB
      Prometheus agent \(Int(agent.samples))   \(f(agent.cpuSeconds, 2))   \(f(agentPerMillion, 3))   \(f(agent.peakRSS / 1e6, 1)) MB
    ratio (Arbiter / agent): CPU per sample \(f(arbiterPerMillion / agentPerMillion, 2))× (target ≤ 0.33), peak RSS \(f(arbiter.rss / agent.peakRSS, 2))× (target ≤ 0.5)
    """)
