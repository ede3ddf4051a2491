import ArbiterCore
import ArbiterJobs
import ArbiterWorkerProtocol
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// The WebSocket worker channel, `GET /api/v1/workers/{id}/connect`: the worker says hello, then the
/// server pushes assignments into its free slots and cancel notices for its running jobs, while the
/// worker reports completions, failures, progress and heartbeats. `docs/worker-protocol.md` is the
/// protocol; every report is fenced by its lease token exactly as on the HTTP path.
struct WorkerChannel: Sendable {
    let scheduler: Scheduler
    let metrics: JobMetrics
    let limits: JobLimits
    /// How often the worker should send a heartbeat.
    let heartbeatInterval: Duration

    /// The largest message a worker may send: a result of the payload limit plus the envelope.
    var maxMessageBytes: Int { self.limits.maxPayloadBytes + 64 * 1024 }

    func register(on router: Router<ArbiterRequestContext>) {
        router.ws("/api/v1/workers/{id}/connect") { _, context in
            let id = try context.parameters.require("id")
            guard !id.isEmpty, id.utf8.count <= 128 else { return .dontUpgrade }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let id = try context.requestContext.parameters.require("id")
            // The connection outlives the request's task: its changes are audited as the authenticated caller.
            try await AuditActor.$current.withValue(context.requestContext.principal?.actor ?? "worker:\(id)") {
                try await self.serve(workerID: id, inbound: inbound, outbound: outbound, logger: context.logger)
            }
        }
    }

    private func serve(workerID: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger) async throws {
        let logger = {
            var logger = logger
            logger[metadataKey: "worker_id"] = "\(workerID)"
            return logger
        }()
        var messages = inbound.messages(maxSize: self.maxMessageBytes).makeAsyncIterator()
        // The first message must be the worker's hello.
        guard let first = try await messages.next() else { return }
        guard case .text(let text) = first, case .workerHello(let capabilities, let concurrency, let labels, let holding)? = try? WorkerMessage.parse(text)
        else {
            try await self.send(.error(code: "hello_required", message: "the first message must be a hello with protocol 1", jobID: nil), outbound)
            try await outbound.close(.policyViolation, reason: "hello required")
            return
        }
        guard !capabilities.isEmpty, capabilities.allSatisfy(JobTypeName.isValid), (1...10_000).contains(concurrency) else {
            try await self.send(.error(
                code: "invalid_hello", message: "capabilities must be job type names and concurrency a number from 1 to 10000", jobID: nil), outbound)
            try await outbound.close(.policyViolation, reason: "invalid hello")
            return
        }
        let now = WallClock.nowMilliseconds()
        _ = try await self.scheduler.workers.register(id: workerID, capabilities: capabilities, concurrency: concurrency, labels: labels, now: now)
        // Leases from an earlier connection: those the worker still holds keep their slots; if it listed
        // what it holds, the rest (assignments lost with the connection) end now and are requeued.
        var held = try await self.scheduler.store.list(JobFilter(state: .running, leaseWorkerID: workerID), after: nil, limit: 10_000)
        if let holding {
            try await self.scheduler.endLeases(workerID: workerID, except: holding)
            let kept = Set(holding)
            held = held.filter { kept.contains($0.id) }
        }
        let session = WorkerSession(
            workerID: workerID, capabilities: capabilities, concurrency: concurrency,
            running: Dictionary(held.map { ($0.id, $0.lease?.token ?? 0) }, uniquingKeysWith: { first, _ in first }), outbound: outbound,
            metrics: self.metrics)
        try await self.send(.serverHello(
            workerID: workerID, heartbeatIntervalMs: self.heartbeatInterval.wholeMilliseconds,
            leaseTimeoutMs: self.scheduler.leaseTimeout.wholeMilliseconds, serverVersion: ArbiterVersion.version), outbound)
        // Cancel notices live in memory: one lost with a restart or a dropped connection is repeated for
        // any job the worker still holds that is cancelled in the store.
        let running = Set(held.map(\.id))
        for id in (holding ?? []) where !running.contains(id) {
            if let job = try await self.scheduler.store.job(id: id), job.state == .cancelled {
                try await self.send(.cancel(jobID: id, reason: job.cancelReason ?? "cancelled"), outbound)
            }
        }
        logger.info("worker connected", metadata: ["capabilities": "\(capabilities.joined(separator: ","))", "concurrency": "\(concurrency)"])
        self.scheduler.register(session)
        defer {
            self.scheduler.unregister(session)
            logger.info("worker disconnected")
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.dispatch(session, outbound) }
            // Reports are handled concurrently (up to a bound) so they share the store's group commits.
            try await withThrowingTaskGroup(of: Void.self) { reports in
                var inFlight = 0
                while let message = try await messages.next() {
                    guard case .text(let text) = message else {
                        try await self.send(.error(code: "invalid_message", message: "messages are JSON text frames", jobID: nil), outbound)
                        continue
                    }
                    if inFlight >= Self.maxReportsInFlight {
                        try await reports.next()
                        inFlight -= 1
                    }
                    reports.addTask {
                        do {
                            try await self.handle(text, session, outbound)
                        } catch {
                            logger.warning("worker message failed", metadata: ["error": "\(error)"])
                        }
                    }
                    inFlight += 1
                }
            }
            group.cancelAll()
        }
    }

    static let maxReportsInFlight = 512

    /// Pushes assignments into the worker's free slots and cancel notices for its jobs, whenever the
    /// scheduler signals there may be some.
    private func dispatch(_ session: WorkerSession, _ outbound: WebSocketOutboundWriter) async throws {
        while !Task.isCancelled {
            let generation = self.scheduler.wake.generation
            for notice in self.scheduler.takeCancelNotices(workerID: session.workerID) {
                session.finished(notice.jobID)
                try await self.send(.cancel(jobID: notice.jobID, reason: notice.reason), outbound)
            }
            // A busy worker is topped up in batches (an eighth of its slots at least) rather than one
            // job per completion: far fewer lease transactions at saturation, no delay when it is idle.
            let free = session.freeSlots
            if free > 0 && (free >= session.batchThreshold || session.isIdle) {
                let reserved = session.reserveSlots(upTo: free)
                let jobs: [JobRecord]
                do {
                    jobs = try await self.scheduler.lease(workerID: session.workerID, types: session.capabilities, limit: reserved)
                } catch {
                    await session.deliver([], reserved: reserved)
                    throw error
                }
                await session.deliver(jobs, reserved: reserved)
                if !jobs.isEmpty { continue }
            }
            await self.scheduler.wake.wait(after: generation, timeout: self.scheduler.idleWait(types: session.capabilities, ceiling: .seconds(1)))
        }
    }

    private func handle(_ text: String, _ session: WorkerSession, _ outbound: WebSocketOutboundWriter) async throws {
        let message: WorkerMessage
        do {
            message = try WorkerMessage.parse(text)
        } catch {
            try await self.send(.error(code: "invalid_message", message: "the message could not be read: \(Self.describe(error))", jobID: nil), outbound)
            return
        }
        // A batch's reports are recorded in one store transaction and its answers go back in one batch.
        let messages: [WorkerMessage]
        if case .batch(let inner) = message { messages = inner } else { messages = [message] }
        var replies = try await self.record(messages.filter(\.isReport), session)
        for other in messages where !other.isReport {
            if let reply = try await self.reply(to: other, session) { replies.append(reply) }
        }
        guard !replies.isEmpty else { return }
        let answer: Any = replies.count == 1 && !message.isBatch ? replies[0] : ["type": "batch", "messages": replies] as [String: Any]
        try await outbound.writeTextMessage(JSONWriter.string(answer))
    }

    /// Handles a message that is not a report; its answer, if it has one.
    private func reply(to message: WorkerMessage, _ session: WorkerSession) async throws -> [String: Any]? {
        switch message {
        case .heartbeat(let running):
            _ = try await self.scheduler.heartbeat(workerID: session.workerID, jobs: running)
            return ["type": "heartbeat"]
        case .drain:
            session.drain()
            _ = try? await self.scheduler.workers.drain(workerID: session.workerID, now: WallClock.nowMilliseconds())
            return nil
        case .complete, .fail, .progress, .batch, .workerHello, .serverHello, .assign, .ack, .cancel, .error:
            return ["type": "error", "code": "unexpected_message", "message": "a worker does not send \(message.typeName) after hello"]
        }
    }

    /// Records fenced reports in one store transaction.
    /// - Returns: Per report, in order, its `ack` or `error` message (as JSON objects).
    private func record(_ messages: [WorkerMessage], _ session: WorkerSession) async throws -> [[String: Any]] {
        var replies: [[String: Any]?] = Array(repeating: nil, count: messages.count)
        var reports: [JobReport] = []
        var positions: [Int] = []
        for (index, message) in messages.enumerated() {
            let (jobID, tokenText, outcome): (String, String, JobReport.Outcome)
            switch message {
            case .complete(let id, let token, let result):
                let text = result.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
                if let text, text.utf8.count > self.limits.maxPayloadBytes {
                    replies[index] = Self.error("result_too_large", "result is larger than \(self.limits.maxPayloadBytes) bytes", id)
                    continue
                }
                (jobID, tokenText, outcome) = (id, token, .succeeded(result: text))
            case .fail(let id, let token, let error):
                (jobID, tokenText, outcome) = (id, token, .failed(error: error.isEmpty ? "failed without a message" : error))
            case .progress(let id, let token, _):
                (jobID, tokenText, outcome) = (id, token, .progress)
            default:
                continue
            }
            guard let token = Int64(tokenText) else {
                replies[index] = Self.error("invalid_message", "lease_token must be the token string from the assignment", jobID)
                continue
            }
            reports.append(JobReport(jobID: jobID, token: token, outcome: outcome))
            positions.append(index)
        }
        let results = try await self.scheduler.report(reports)
        for (position, (report, result)) in zip(positions, zip(reports, results)) {
            let request = Self.requestName(report.outcome)
            switch result {
            case .success(let job):
                if report.outcome != .progress { session.finished(report.jobID) }
                replies[position] = ["type": "ack", "job_id": report.jobID, "request": request, "state": job.state.rawValue]
            case .failure(let refusal):
                if refusal.code != .notFound || report.outcome != .progress { session.finished(report.jobID) }
                replies[position] = Self.error(refusal.code.rawValue, refusal.message, report.jobID)
            }
        }
        return replies.compactMap { $0 }
    }

    /// The protocol's name for a report, as an `ack` repeats it.
    private static func requestName(_ outcome: JobReport.Outcome) -> String {
        switch outcome {
        case .succeeded: "complete"
        case .failed: "fail"
        case .progress: "progress"
        }
    }

    private static func error(_ code: String, _ message: String, _ jobID: String) -> [String: Any] {
        ["type": "error", "code": code, "message": message, "job_id": jobID]
    }

    private func send(_ message: WorkerMessage, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(try message.jsonText())
    }

    /// The `assign` message for a leased job, written directly: the stored payload goes out as it is,
    /// without decoding and encoding it again (the same JSON as ``WorkerMessage/assign(_:)`` encodes).
    static func assignmentText(_ job: JobRecord) -> String {
        var assignment: [String: Any] = [
            "job_id": job.id, "type": job.type, "payload": RawJSON(text: job.payload), "attempt": job.attempt,
            "max_attempts": job.retry.maxAttempts, "timeout_ms": job.retry.timeout.wholeMilliseconds,
            "lease_token": String(job.lease?.token ?? 0), "lease_expires_at": job.lease?.expiresAt ?? 0,
            "user_id": job.userID ?? NSNull(), "tags": job.tags,
        ]
        if let credential = job.lease?.credential { assignment["credential"] = credential }
        return JSONWriter.string(["type": "assign", "job": assignment] as [String: Any])
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, _): return "\(key.stringValue) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
