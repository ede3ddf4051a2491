import ArbiterApp
import ArbiterWorkerKit
import ArbiterWorkerProtocol
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A worker process with an in-process no-op handler. Each job's payload may carry `t`, the wall-clock
/// nanoseconds at which the client submitted it; start minus `t` is recorded and written to OUT on exit.
enum BenchWorker {
    static func run(server: String, id: String, concurrency: Int, output: String) async throws {
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, format: .logfmt, level: .warning) }
        let logger = Logger(label: "bench.worker")
        let latencies = Mutex<[Double]>([])
        let worker = ArbiterWorker(
            configuration: WorkerConfiguration(
                server: server, workerID: id, capabilities: ["noop"], concurrency: concurrency,
                token: ProcessInfo.processInfo.environment["ARBITER_TOKEN"]),
            logger: logger
        ) { assignment in
            if case .object(let payload) = assignment.payload, case .integer(let submitted)? = payload["t"] {
                let started = WallNanoseconds.now()
                latencies.withLock { $0.append(Double(started - submitted) / 1e6) }
            }
            return nil
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm],
            logger: logger))
        // A long run (the soak) reads the latencies as they come: once a second they are appended to
        // OUT, each line "unix-seconds latency-ms", instead of written once at exit.
        if ProcessInfo.processInfo.environment["BENCH_STREAM_LATENCIES"] == "1" {
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            let flusher = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    let taken = latencies.withLock { values in defer { values.removeAll(keepingCapacity: true) }; return values }
                    let second = WallNanoseconds.now() / 1_000_000_000
                    handle.write(Data(taken.map { "\(second) \($0)\n" }.joined().utf8))
                }
            }
            try await group.run()
            flusher.cancel()
            return
        }
        try await group.run()
        let text = latencies.withLock { $0.map { String($0) }.joined(separator: "\n") }
        try text.write(toFile: output, atomically: true, encoding: .utf8)
    }
}

enum WallNanoseconds {
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
