import ArbiterCore
import ArbiterMetrics
import ArbiterTesting
import BenchmarkSupport
import Foundation
import Hummingbird
import NIOCore

/// Prometheus 2.42's side: it scrapes the same registry from `/metrics` every 5 s and evaluates the
/// same rule file; its own `prometheus_rule_group_last_duration_seconds` is the round time and
/// `/proc/<pid>/stat` its CPU.
struct PrometheusRounds {
    struct Result {
        var roundSeconds: [Double] = []
        var cpuSeconds = 0.0
        var windowSeconds = 0.0
        var missedIterations = 0.0
    }

    let workload: Workload
    let rulesPath: String
    let warmup: Duration
    let window: Duration

    func run() async throws -> Result {
        let router = Router()
        let registry = self.workload.registry
        router.get("/metrics") { _, _ -> Response in
            var buffer = ByteBufferAllocator().buffer(capacity: 16 << 20)
            registry.render(.text, into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: buffer))
        }
        let port = try FreePort.next()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                // Cancelled once the measurement is in; that is its normal end.
                try? await app.runService()
                return nil
            }
            tasks.addTask {
                while !Task.isCancelled {
                    self.workload.advance()
                    try? await Task.sleep(for: .seconds(5))
                }
                return nil
            }
            tasks.addTask { try await self.measure(port: port) }
            var result: Result?
            while let next = try await tasks.next() {
                if let next {
                    result = next
                    tasks.cancelAll()
                }
            }
            return result ?? Result()
        }
    }

    private func measure(port: Int) async throws -> Result {
        try await Task.sleep(for: .milliseconds(500))
        let prometheus = try await PrometheusServer.start(
            scrapeConfigs: """
                  - job_name: arbiter
                    static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                """, scrapeInterval: "5s", ruleFiles: [self.rulesPath], arguments: ["--storage.tsdb.retention.time=1h"])
        defer { Task { await prometheus.stop() } }
        log("  prometheus started (pid \(prometheus.process.pid)); warming up for \(self.warmup)")
        try await Task.sleep(for: self.warmup)
        var result = Result()
        let cpuStart = ProcessStats.cpuSeconds(pid: prometheus.process.pid)
        let started = ContinuousClock.now
        let missedStart = try await Self.metric(prometheus, "prometheus_rule_group_iterations_missed_total")
        var last = -1.0
        while ContinuousClock.now - started < self.window {
            let duration = try await Self.metric(prometheus, "prometheus_rule_group_last_duration_seconds")
            if duration != last {
                result.roundSeconds.append(duration)
                log("  prometheus round: \(String(format: "%.3f", duration)) s")
                last = duration
            }
            try await Task.sleep(for: .seconds(1))
        }
        result.windowSeconds = (ContinuousClock.now - started).seconds
        result.cpuSeconds = ProcessStats.cpuSeconds(pid: prometheus.process.pid) - cpuStart
        result.missedIterations = try await Self.metric(prometheus, "prometheus_rule_group_iterations_missed_total") - missedStart
        return result
    }

    /// The sum of a metric's samples on Prometheus's own `/metrics`.
    static func metric(_ prometheus: PrometheusServer, _ name: String) async throws -> Double {
        let text = try await HTTPProbe.get(prometheus.baseURL + "/metrics").text
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }
}
