import ArbiterWorkerProtocol
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ServiceLifecycle
import Synchronization
import WSClient

/// A worker: holds a WebSocket to the server, runs what it is assigned with `handler` (up to the
/// configured concurrency), reports each outcome with its lease token, heartbeats, and reconnects with
/// backoff when the connection drops. Running jobs survive a reconnect, and reports the server has not
/// acknowledged are sent again on the next connection.
///
/// As a `Service`, a graceful shutdown drains: the server stops assigning, running jobs finish (up to
/// `drainTimeout`, then they are cancelled), their reports are acknowledged, and `run()` returns.
public struct ArbiterWorker: Service {
    public let configuration: WorkerConfiguration
    let handler: JobHandler
    let logger: Logger
    let ledger = WorkerLedger()
    let events: WorkerEvents
    /// Every running job's timeout, on one timer.
    let timeouts = TimeoutWatch()

    public init(configuration: WorkerConfiguration, logger: Logger, events: WorkerEvents = WorkerEvents(), handler: @escaping JobHandler) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.events = events
    }

    public func run() async throws {
        // The connection runs detached from the caller's graceful-shutdown context: the WebSocket client
        // would otherwise close at once on shutdown, before running jobs are finished and reported.
        let loop = Task.detached { try await self.connectLoop() }
        defer { self.timeouts.stop() }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await loop.value
            } onCancel: {
                loop.cancel()
            }
        } onGracefulShutdown: {
            self.drain()
        }
    }

    /// Stops taking work; `run()` returns once running jobs are done and reported.
    public func drain() {
        self.logger.info("draining: no new jobs; running jobs finish and are reported", metadata: ["running": "\(self.ledger.runningCount)"])
        // The connection's heartbeat loop tells the server (within 100 ms), so the drain always goes
        // out before the close that follows it: the server reads drain-then-close as a clean stop.
        _ = self.ledger.beginDrain()
    }

    private func connectLoop() async throws {
        var failures = 0
        // Which of the configured servers to try: a lost or refused connection moves to the next at
        // once, and the backoff applies once every server has failed in a row.
        var server = 0
        let servers = self.configuration.servers.count
        let deadline = DrainDeadline()
        while true {
            if self.ledger.isDraining {
                if self.ledger.isIdle { return }
                if deadline.passed(after: self.configuration.drainTimeout) {
                    self.ledger.cancelAll()
                    return
                }
            }
            let started = ContinuousClock.now
            var replaced = false
            let url = self.configuration.connectURL(server: server)
            do {
                let closing = try await WebSocketClient.connect(
                    url: url,
                    configuration: .init(maxFrameSize: 16 << 20, additionalHeaders: self.headers, autoPing: .disabled),
                    logger: self.logger
                ) { inbound, outbound, _ in
                    try await self.session(inbound, outbound, deadline: deadline, url: url)
                }
                if ContinuousClock.now - started > .seconds(5) { failures = 0 }
                // A newer connection under this worker id took over (4000): reconnecting would take
                // the id back, and two workers sharing it would take turns for ever.
                if let closing, case .unknown(4000) = closing.closeCode { replaced = true }
            } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
                // The WebSocket client does not say why an upgrade was refused; the same URL over plain
                // HTTP does. A refused credential (401, 403) stays refused: retrying cannot help.
                if let refusal = await self.credentialRefusal(server: server) { throw refusal }
                self.logger.warning("connection to the server failed", metadata: ["error": "\(error)", "url": "\(self.configuration.connectURL(server: server))"])
            } catch {
                self.logger.warning("connection to the server failed", metadata: ["error": "\(error)", "url": "\(self.configuration.connectURL(server: server))"])
            }
            self.ledger.disconnected()
            if replaced {
                self.logger.error("another connection under this worker id took over (close code 4000): stopping", metadata: ["worker_id": "\(self.configuration.workerID)"])
                throw WorkerError.replaced(workerID: self.configuration.workerID)
            }
            if self.ledger.isDraining && self.ledger.isIdle { return }
            failures += 1
            server = (server + 1) % servers
            if servers > 1, failures % servers != 0 {
                self.logger.info("connecting to the next server", metadata: ["url": "\(self.configuration.connectURL(server: server))"])
                continue
            }
            try await Task.sleep(for: self.reconnectDelay(failures: (failures + servers - 1) / servers))
        }
    }

    /// Why the server refused the upgrade, when it refused the credential: a plain GET of the worker
    /// channel answers 401 or 403 (with the JSON error) for a credential it refuses, 426 otherwise.
    /// - Returns: ``WorkerError/credentialsRefused(status:code:message:)``, or `nil` for any other answer.
    private func credentialRefusal(server: Int) async -> WorkerError? {
        var request = HTTPClientRequest(url: self.configuration.connectHTTPURL(server: server))
        if let token = self.configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)) else { return nil }
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
        let status = Int(response.status.code)
        guard status == 401 || status == 403 else { return nil }
        let error = ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["error"] as? [String: Any]
        return .credentialsRefused(
            status: status, code: error?["code"] as? String ?? "http_\(status)", message: error?["message"] as? String ?? response.status.reasonPhrase)
    }

    private func reconnectDelay(failures: Int) -> Duration {
        let base = self.configuration.minReconnectDelay * (1 << min(failures - 1, 16))
        let capped = min(base, self.configuration.maxReconnectDelay)
        return capped * Double.random(in: 0.5...1.0)
    }

    private func session(_ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, deadline: DrainDeadline, url: String) async throws {
        try await Self.send(
            .workerHello(
                capabilities: self.configuration.capabilities, concurrency: self.configuration.concurrency, labels: self.configuration.labels,
                running: self.ledger.holding),
            outbound)
        var messages = inbound.messages(maxSize: 16 << 20).makeAsyncIterator()
        guard let first = try await messages.next(), case .text(let text) = first else { return }
        let hello = try WorkerMessage.parse(text)
        guard case .serverHello(_, let heartbeatMs, _, let version, let stated, let drained) = hello else {
            if case .error(let code, let message, _) = hello { throw WorkerError.refused(code: code, message: message) }
            throw WorkerError.refused(code: "unexpected_message", message: "the server did not answer hello")
        }
        self.logger.info("connected", metadata: ["server_version": "\(version)", "worker_id": "\(self.configuration.workerID)", "url": "\(url)"])
        if let drained {
            self.logger.warning(
                "the server assigns this worker nothing for now", metadata: ["reason": "\(drained.message)", "alerts": "\(drained.alerts.joined(separator: ","))"])
        }
        // Reports are sent within the server's limits (an older server states none).
        let limits = stated ?? .assumed
        let flushes = self.ledger.connected(outbound)
        self.events.connected()

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Reports go out as they come; those that pile up while a write is in progress go
                // together in one batch (one frame, one store transaction on the server).
                for await _ in flushes {
                    while true {
                        let reports = self.ledger.takeUnsent(limit: min(256, max(limits.maxBatchMessages, 1)))
                        if reports.isEmpty { break }
                        // Within the server's limits: a report it could not record as it is (a result
                        // over its limit) goes as a fail that says why, and is resent as that.
                        let packed = ReportPacking.pack(reports, limits: limits)
                        for (jobID, report) in packed.changed {
                            self.ledger.replace(jobID, with: report)
                            self.logger.warning("a report was changed to fit the server's limits", metadata: ["job_id": "\(jobID)", "sent": "\(report.typeName)"])
                        }
                        for text in packed.messages { try await outbound.writeTextMessage(text) }
                    }
                }
            }
            group.addTask {
                // Heartbeats keep the worker's leases alive; while draining, close once everything is settled.
                let interval = Duration.milliseconds(max(heartbeatMs, 100))
                var lastHeartbeat = ContinuousClock.now
                var drainSent = false
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(min(100, max(heartbeatMs, 100))))
                    if ContinuousClock.now - lastHeartbeat >= interval {
                        try await Self.send(.heartbeat(running: self.ledger.holding), outbound)
                        lastHeartbeat = .now
                    }
                    if self.ledger.isDraining {
                        if !drainSent {
                            try await Self.send(.drain, outbound)
                            drainSent = true
                        }
                        let timedOut = deadline.passed(after: self.configuration.drainTimeout)
                        if timedOut { self.ledger.cancelAll() }
                        if self.ledger.isIdle || timedOut {
                            try await outbound.close(.normalClosure, reason: "drained")
                            return
                        }
                    }
                }
            }
            while let message = try await messages.next() {
                guard case .text(let text) = message else { continue }
                do {
                    try await self.handle(try WorkerMessage.parse(text), outbound)
                } catch let error as WorkerError {
                    throw error
                } catch {
                    self.logger.warning("unreadable message from the server", metadata: ["error": "\(error)"])
                }
            }
            group.cancelAll()
        }
    }

    private func handle(_ message: WorkerMessage, _ outbound: WebSocketOutboundWriter) async throws {
        switch message {
        case .assign(let assignment):
            self.start(assignment)
        case .ack(let jobID, let request, _):
            if request != "progress" { self.ledger.settled(jobID) }
        case .error(let code, let message, let jobID):
            if let jobID {
                if code == "result_too_large", self.ledger.refusedResult(jobID, reason: message) {
                    // Nothing was recorded and the lease is still ours: the attempt is reported as failed.
                } else {
                    // A refused report (stale lease, cancelled job) is settled: sending it again cannot help.
                    self.ledger.settled(jobID)
                    self.events.refused(jobID: jobID, code: code)
                }
            }
            self.logger.warning("the server refused a message", metadata: ["code": "\(code)", "message": "\(message)", "job_id": "\(jobID ?? "")"])
        case .cancel(let jobID, let reason):
            self.logger.info("job cancelled by the server", metadata: ["job_id": "\(jobID)", "reason": "\(reason)"])
            self.ledger.cancel(jobID)
            self.events.cancelled(jobID: jobID)
            // A lease that ran out makes the server wait for a sign of life before it assigns more.
            if reason == "lease expired" { try await Self.send(.heartbeat(running: self.ledger.holding), outbound) }
        case .batch(let messages):
            for message in messages { try await self.handle(message, outbound) }
        case .heartbeat, .serverHello:
            break
        case .workerHello, .complete, .fail, .progress, .drain:
            self.logger.warning("the server sent a worker-only message", metadata: ["type": "\(message.typeName)"])
        }
    }

    private func start(_ assignment: Assignment) {
        guard !self.ledger.isRunning(assignment.jobID) else { return }
        let handler = self.handler
        let timeout = Duration.milliseconds(max(assignment.timeoutMs, 1))
        self.ledger.enter(assignment.jobID)
        self.events.started(assignment)
        // Set by the watch when the job's time is up, before it cancels the job's task.
        let timedOut = Atomic<Bool>(false)
        let running = TaskSlot()
        let watch = self.timeouts
        watch.watch(assignment.jobID, until: .now + timeout) {
            timedOut.store(true, ordering: .sequentiallyConsistent)
            running.cancel()
        }
        let task = Task {
            let report: WorkerMessage
            do {
                let result = try await handler(assignment)
                if timedOut.load(ordering: .sequentiallyConsistent) { throw TimeoutError() }
                report = .complete(jobID: assignment.jobID, leaseToken: assignment.leaseToken, result: result)
            } catch where timedOut.load(ordering: .sequentiallyConsistent) {
                report = .fail(jobID: assignment.jobID, leaseToken: assignment.leaseToken, error: "timed out after \(timeout)")
            } catch {
                // The server refuses an empty error: say at least what kind of error it was.
                let text = Self.describe(error)
                report = .fail(
                    jobID: assignment.jobID, leaseToken: assignment.leaseToken,
                    error: text.isEmpty ? "the job failed without a message (\(type(of: error)))" : text)
            }
            watch.unwatch(assignment.jobID)
            self.events.finished(assignment, report: report)
            // Sent by the connection's sender; if it cannot be, it stays unacknowledged and goes out after the next hello.
            self.ledger.finished(assignment.jobID, report: report)
        }
        running.set(task)
        self.ledger.attach(assignment.jobID, task)
    }

    static func send(_ message: WorkerMessage, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(try message.jsonText())
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? any LocalizedError, let description = error.errorDescription { return description }
        return "\(error)"
    }

    private struct TimeoutError: Error {}

    /// `Authorization: Bearer …` when a token is configured.
    private var headers: HTTPFields {
        var fields = HTTPFields()
        if let token = self.configuration.token { fields[.authorization] = "Bearer \(token)" }
        return fields
    }
}

/// Why a worker gave up on a connection.
public enum WorkerError: Error, CustomStringConvertible {
    case refused(code: String, message: String)
    /// The server refused the worker's credential: 401 when it is missing, unknown, revoked or expired,
    /// 403 when it may not act as this worker. ``ArbiterWorker/run()`` ends with this error, since
    /// reconnecting with the same credential cannot succeed.
    case credentialsRefused(status: Int, code: String, message: String)
    /// A newer connection under the same worker id took over, and the server closed this one with
    /// 4000. ``ArbiterWorker/run()`` ends with this error: reconnecting would take the id back.
    case replaced(workerID: String)

    public var description: String {
        switch self {
        case .refused(let code, let message): "the server refused the worker (\(code)): \(message)"
        case .credentialsRefused(let status, let code, let message): "the server refused this worker's credentials: \(status) \(code): \(message)"
        case .replaced(let workerID):
            "another connection under worker id \(workerID) took over (close code 4000): each worker process needs an id of its own"
        }
    }
}

/// When draining started, for the drain timeout.
final class DrainDeadline: Sendable {
    private let started = Mutex<ContinuousClock.Instant?>(nil)

    func passed(after timeout: Duration) -> Bool {
        self.started.withLock { started in
            let now = ContinuousClock.now
            if started == nil { started = now }
            return now - started! >= timeout
        }
    }
}
