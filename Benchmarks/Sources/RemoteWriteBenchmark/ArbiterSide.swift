import ArbiterMetrics
import ArbiterRemoteWrite
import ArbiterTSDB
import BenchmarkSupport
import Foundation
import Logging

/// Arbiter forwarding the workload: every 5 s the registry is rendered and read as the daemon's
/// sampler does, and the round goes through `RemoteWriteService` (encode, disk queue, send) to the
/// receiver. Run in its own process so its CPU and peak memory are its own; prints one line:
/// `cpu_seconds samples_sent window_seconds peak_rss_bytes`.
enum ArbiterSide {
    static func run(receiver: String, directory: String, warmup: Duration, window: Duration) async throws {
        let workload = try Workload()
        log("  arbiter side: \(f(ProcessStats.currentRSS(pid: getpid()) / 1e6, 1)) MB resident with the workload's registry alone")
        let metrics = MetricRegistry()
        var endpoint = RemoteWriteEndpoint(url: receiver, name: "bench")
        endpoint.diskMaxBytes = 4 << 30
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let service = try RemoteWriteService(endpoints: [endpoint], directory: directory, metrics: try RemoteWriteMetrics(registry: metrics), logger: logger)
        let sender = Task { try await service.run() }
        let sampler = Task {
            let reader = ExpositionRoundReader()
            while !Task.isCancelled {
                workload.advance()
                var text: [UInt8] = []
                workload.registry.render(.text, into: &text)
                if let samples = try? reader.read(text) {
                    service.append(round: samples, at: Int64(Date().timeIntervalSince1970 * 1000))
                }
                try? await Task.sleep(for: .seconds(5))
            }
        }
        try await Task.sleep(for: warmup)
        let pid = getpid()
        log("  arbiter side: \(f(ProcessStats.currentRSS(pid: pid) / 1e6, 1)) MB resident after the warm-up, \(f(ProcessStats.peakRSS(pid: pid) / 1e6, 1)) MB at the peak so far")
        let cpuStart = ProcessStats.cpuSeconds(pid: pid)
        let sentStart = Self.sent(metrics)
        let started = ContinuousClock.now
        try await Task.sleep(for: window)
        let elapsed = ContinuousClock.now - started
        let cpu = ProcessStats.cpuSeconds(pid: pid) - cpuStart
        let sent = Self.sent(metrics) - sentStart
        log("  arbiter side: \(f(ProcessStats.currentRSS(pid: pid) / 1e6, 1)) MB resident at the end of the window")
        sampler.cancel()
        sender.cancel()
        emit("\(cpu) \(sent) \(Double(elapsed.components.seconds)) \(ProcessStats.peakRSS(pid: pid))")
    }

    static func sent(_ registry: MetricRegistry) -> Double {
        var text: [UInt8] = []
        registry.render(.text, into: &text)
        return String(decoding: text, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("arbiter_remote_storage_samples_total{") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }
}
