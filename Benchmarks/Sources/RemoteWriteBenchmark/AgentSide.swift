import ArbiterTesting
import BenchmarkSupport
import Foundation
import Hummingbird
import NIOCore

/// Prometheus 2.42 in agent mode (`--enable-feature=agent`) scraping the workload from `/metrics`
/// every 5 s and remote-writing it to the same receiver. Its CPU and peak memory come from `/proc`,
/// its samples sent from its own `prometheus_remote_storage_samples_total`.
struct AgentSide {
    struct Result {
        var cpuSeconds = 0.0
        var samples = 0.0
        var windowSeconds = 0.0
        var peakRSS = 0.0
    }

    let receiver: String
    let warmup: Duration
    let window: Duration

    func run() async throws -> Result {
        let workload = try Workload()
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var buffer = ByteBufferAllocator().buffer(capacity: 16 << 20)
            workload.registry.render(.text, into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: buffer))
        }
        let port = try FreePort.next()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        let server = Task { try await app.runService() }
        let advancing = Task {
            while !Task.isCancelled {
                workload.advance()
                try? await Task.sleep(for: .seconds(5))
            }
        }
        defer {
            server.cancel()
            advancing.cancel()
        }
        let directory = try TemporaryDirectory(prefix: "agent")
        defer { directory.remove() }
        let config = try directory.write("agent.yml", """
            global:
              scrape_interval: 5s
            scrape_configs:
              - job_name: bench
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
                metric_relabel_configs:
                  - {action: labeldrop, regex: "job|instance"}
            remote_write:
              - url: \(self.receiver)
            """)
        let agentPort = try FreePort.next()
        let agent = try ChildProcess(
            executable: try ExternalTool.prometheus.require(),
            arguments: ["--enable-feature=agent", "--config.file=\(config)", "--storage.agent.path=\(directory.file("wal"))",
                        "--web.listen-address=127.0.0.1:\(agentPort)"],
            directory: directory.path, name: "prometheus-agent")
        defer { Task { await agent.stop() } }
        try await HTTPProbe.waitUntilReady("http://127.0.0.1:\(agentPort)/-/ready", process: agent, name: "prometheus agent")
        log("  agent started (pid \(agent.pid)); warming up for \(self.warmup)")
        try await Task.sleep(for: self.warmup)
        let cpuStart = ProcessStats.cpuSeconds(pid: agent.pid)
        let sentStart = try await Self.sent(agentPort)
        let started = ContinuousClock.now
        try await Task.sleep(for: self.window)
        var result = Result()
        result.windowSeconds = Double((ContinuousClock.now - started).components.seconds)
        result.cpuSeconds = ProcessStats.cpuSeconds(pid: agent.pid) - cpuStart
        result.samples = try await Self.sent(agentPort) - sentStart
        result.peakRSS = ProcessStats.peakRSS(pid: agent.pid)
        return result
    }

    static func sent(_ port: Int) async throws -> Double {
        let text = try await HTTPProbe.get("http://127.0.0.1:\(port)/metrics").text
        return text.split(separator: "\n").filter { $0.hasPrefix("prometheus_remote_storage_samples_total{") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }
}
