import ArbiterApp
import ArbiterWorkerKit
import ArbiterWorkerProtocol
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// A worker process for the cancel measurement: one slot for jobs of type `hold`, whose handler sleeps
/// until the job is cancelled. It writes a line on stdout for each event, ending with the wall-clock
/// nanoseconds it happened at: `connected NS`, `started JOB NS`, `cancelled JOB NS`.
///
/// `cancelled` comes from the worker's `onCancelled` hook, the moment the worker has read the server's
/// `cancel` message (where it logs "job cancelled by the server") and before it cancels the handler.
enum BenchHoldingWorker {
    /// The job type it runs.
    static let jobType = "hold"

    static func run(server: String, id: String) async throws {
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, format: .logfmt, level: .warning) }
        let logger = Logger(label: "bench.holding-worker")
        let events = WorkerEvents(
            onConnected: { Self.emit("connected") }, onStarted: { Self.emit("started \($0.jobID)") }, onCancelled: { Self.emit("cancelled \($0)") })
        let worker = ArbiterWorker(
            configuration: WorkerConfiguration(
                server: server, workerID: id, capabilities: [Self.jobType], concurrency: 1,
                token: ProcessInfo.processInfo.environment["ARBITER_TOKEN"]),
            logger: logger, events: events
        ) { _ in
            try await Task.sleep(for: .seconds(600))
            return nil
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm],
            logger: logger))
        try await group.run()
    }

    /// Writes `event` and the time now as one line: `FileHandle` writes straight to the descriptor, so
    /// the driver reads it as soon as it is written.
    private static func emit(_ event: String) {
        let now = WallNanoseconds.now()
        FileHandle.standardOutput.write(Data("\(event) \(now)\n".utf8))
    }
}
