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
///
/// One connection speaks for a worker id at a time: a newer one replaces the older, which is closed
/// with 4000. A worker that drained and holds nothing when its connection ends has stopped: it is
/// forgotten at once, with no offline event.
struct WorkerChannel: Sendable {
    let scheduler: Scheduler
    let metrics: JobMetrics
    let limits: JobLimits
    /// How often the worker should send a heartbeat.
    let heartbeatInterval: Duration

    func register(on router: Router<ArbiterRequestContext>) {
        router.ws("/api/v1/workers/{id}/connect") { request, context in
            let id = try context.parameters.require("id")
            guard !id.isEmpty, id.utf8.count <= 128 else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "the worker id must be 1 to 128 bytes", field: "id")
            }
            // A plain GET (no WebSocket upgrade) is told what this route speaks, not answered 200 and empty.
            guard UpgradeRefusalMiddleware.isUpgradeAttempt(request) else {
                throw UpgradeRequiredError(message: "this is the WebSocket worker channel: send a WebSocket upgrade request (docs/worker-protocol.md)")
            }
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
        var messages = inbound.messages(maxSize: self.limits.maxWorkerMessageBytes).makeAsyncIterator()
        // The first message must be the worker's hello.
        guard let first = try await messages.next() else { return }
        // hello_required, unsupported_protocol or invalid_hello, as docs/worker-protocol.md tells them apart.
        let hello: WorkerMessage
        do throws(HelloRefusal) {
            guard case .text(let text) = first else {
                throw HelloRefusal.helloRequired("the first message must be a text frame holding the worker's hello")
            }
            hello = try WorkerMessage.parseHello(text)
        } catch {
            try await self.send(.error(code: error.code, message: error.message, jobID: nil), outbound)
            try await outbound.close(.policyViolation, reason: error.code)
            return
        }
        // parseHello returns nothing but a worker's hello.
        guard case .workerHello(let capabilities, let concurrency, let labels, let holding) = hello else { return }
        guard !capabilities.isEmpty, capabilities.allSatisfy(JobTypeName.isValid), (1...10_000).contains(concurrency) else {
            try await self.send(.error(
                code: "invalid_hello", message: "capabilities must be job type names and concurrency a number from 1 to 10000", jobID: nil), outbound)
            try await outbound.close(.policyViolation, reason: "invalid hello")
            return
        }
        // From here on no older connection of this worker can end its registration.
        let connection = await self.scheduler.claim(workerID: workerID)
        var session: WorkerSession?
        do {
            session = try await self.open(
                connection, capabilities: capabilities, concurrency: concurrency, labels: labels, holding: holding, outbound: outbound, logger: logger)
            if let session { try await self.run(session, messages: &messages, outbound: outbound, logger: logger) }
        } catch {
            // A drained worker holding nothing has stopped, however its connection ended.
            let outcome = await self.scheduler.detach(session, as: connection, stopped: session?.hasStopped ?? false)
            if outcome == .stopped {
                logger.info("worker stopped: it drained and closed its connection")
            } else if session != nil {
                logger.info("worker disconnected")
            }
            throw error
        }
        guard let session else {
            await self.scheduler.detach(nil, as: connection, stopped: false)
            return
        }
        switch await self.scheduler.detach(session, as: connection, stopped: session.hasStopped) {
        case .stopped: logger.info("worker stopped: it drained and closed its connection")
        case .disconnected: logger.info("worker disconnected")
        case .nothing: logger.info("worker connection closed: a newer connection of the worker replaced it")
        }
    }

    /// Records the hello, tells the worker the server's side of it, and makes the connection speak
    /// for the worker.
    /// - Returns: The session, or `nil` when a newer connection of the worker claimed it first
    ///   (this one is closed).
    private func open(
        _ connection: WorkerConnections.Connection, capabilities: [String], concurrency: Int, labels: [String: String], holding: [String]?,
        outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws -> WorkerSession? {
        let workerID = connection.workerID
        // Leases from an earlier connection that the worker still holds keep their slots.
        let registration = try await self.scheduler.register(
            workerID: workerID, capabilities: capabilities, concurrency: concurrency, labels: labels, holding: holding)
        let session = WorkerSession(
            workerID: workerID, capabilities: capabilities, concurrency: concurrency, held: registration.held, outbound: outbound,
            metrics: self.metrics)
        let drained = self.scheduler.drainInForce(workerID: workerID)
        try await self.send(.serverHello(
            workerID: workerID, heartbeatIntervalMs: self.heartbeatInterval.wholeMilliseconds,
            leaseTimeoutMs: self.scheduler.leaseTimeout.wholeMilliseconds, serverVersion: ArbiterVersion.version, limits: self.limits.workerLimits,
            drained: drained), outbound)
        for (jobID, reason) in registration.cancelled {
            try await self.send(.cancel(jobID: jobID, reason: reason), outbound)
        }
        guard await self.scheduler.attach(session, as: connection) else {
            try? await outbound.close(WorkerSession.replacedCloseCode, reason: "replaced by a newer connection of this worker")
            return nil
        }
        var metadata: Logger.Metadata = ["capabilities": "\(capabilities.joined(separator: ","))", "concurrency": "\(concurrency)"]
        if let drained { metadata["drained_by"] = "\(drained.alerts.joined(separator: ","))" }
        logger.info("worker connected", metadata: metadata)
        return session
    }

    /// Runs the connection: the dispatch loop beside the reader, until the worker closes it.
    private func run(
        _ session: WorkerSession, messages: inout WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.dispatch(session, outbound) }
            // Reports are handled concurrently (up to a bound) so they share the store's group commits.
            try await withThrowingTaskGroup(of: Void.self) { reports in
                var inFlight = 0
                while let message = try await messages.next() {
                    if session.heard() { self.scheduler.wake.signal() }
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
                            // Its reports were not recorded and will not be answered (the store unavailable,
                            // an audit write or a transaction that failed): close (1011) so the worker
                            // reconnects and sends them again, rather than hold them unanswered while its
                            // heartbeats keep their leases alive for ever.
                            logger.warning("worker message not recorded; closing so the worker sends it again", metadata: ["error": "\(error)"])
                            try? await outbound.close(.unexpectedServerError, reason: "not recorded: reconnect and resend")
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
    /// scheduler signals there may be some. A slot is filled as soon as it frees (the scheduler frees
    /// it before it signals); slots that free together are filled by one lease.
    private func dispatch(_ session: WorkerSession, _ outbound: WebSocketOutboundWriter) async throws {
        while !Task.isCancelled && !session.isClosed {
            let generation = self.scheduler.wake.generation
            for notice in self.scheduler.takeCancelNotices(workerID: session.workerID) {
                // A notice about an earlier lease of a job the worker now holds under a later one is
                // not for it: the worker must not stop the later attempt.
                let released = session.release(jobID: notice.jobID, token: notice.leaseToken)
                guard released != .heldUnderAnotherLease else { continue }
                // A worker whose lease ran out while it held the job has gone quiet: giving it the
                // requeued job (or any other) would only see that lease run out too.
                if released == .released && notice.reason == CancelNotice.leaseExpired { session.leaseRanOut() }
                try await self.send(.cancel(jobID: notice.jobID, reason: notice.reason), outbound)
            }
            let free = session.freeSlots
            if free > 0 {
                let reserved = session.reserveSlots(upTo: free)
                let jobs: [JobRecord]
                do {
                    jobs = try await self.scheduler.lease(workerID: session.workerID, types: session.capabilities, limit: reserved)
                } catch {
                    await session.deliver([], reserved: reserved)
                    if Task.isCancelled { throw error }
                    // The store cannot be reached (or refused this once): the connection stays and the
                    // loop tries again a quarter of a second later. Ending the loop would leave the
                    // worker connected and never given work again.
                    try await self.scheduler.clock.sleep(for: .milliseconds(250))
                    continue
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
            try await self.send(.error(code: "invalid_message", message: "the message could not be read: \(WorkerMessage.describeDecodingError(error))", jobID: nil), outbound)
            return
        }
        // A batch's reports are recorded in one store transaction and its answers go back in one batch.
        let messages: [WorkerMessage]
        if case .batch(let inner) = message { messages = inner } else { messages = [message] }
        guard messages.count <= JobLimits.maxWorkerBatchMessages else {
            try await self.send(.error(
                code: "batch_too_large",
                message: "a batch holds at most \(JobLimits.maxWorkerBatchMessages) messages (max_batch_messages) and this one has \(messages.count): "
                    + "nothing in it was recorded; send its messages in smaller batches", jobID: nil), outbound)
            return
        }
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
            _ = try? await self.scheduler.drain(workerID: session.workerID)
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
                    replies[index] = Self.error(
                        "result_too_large",
                        "the result is \(text.utf8.count) bytes of JSON and the limit is \(self.limits.maxPayloadBytes) bytes (max_result_bytes): "
                            + "nothing was recorded and the lease is still yours; report a fail, or a smaller result", id)
                    continue
                }
                (jobID, tokenText, outcome) = (id, token, .succeeded(result: text))
            case .fail(let id, let token, let error):
                guard !error.isEmpty else {
                    replies[index] = Self.error("invalid_message", "error must be a non-empty string: what went wrong", id)
                    continue
                }
                (jobID, tokenText, outcome) = (id, token, .failed(error: error))
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
        // The scheduler frees the slots of the jobs these reports end before it wakes the dispatch loops.
        let results = try await self.scheduler.report(reports, workerID: session.workerID)
        for (position, (report, result)) in zip(positions, zip(reports, results)) {
            let request = Self.requestName(report.outcome)
            switch result {
            case .success(let job):
                replies[position] = ["type": "ack", "job_id": report.jobID, "request": request, "state": job.state.rawValue]
            case .failure(let refusal):
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
        // Written field by field (one per job on the hot path), keys in byte order as JSONWriter writes them.
        var out: [UInt8] = []
        out.reserveCapacity(256 + job.payload.utf8.count)
        out.append(contentsOf: #"{"job":{"attempt":"#.utf8)
        out.append(contentsOf: String(job.attempt).utf8)
        if let credential = job.lease?.credential {
            out.append(contentsOf: #","credential":"#.utf8)
            JSONWriter.writeString(credential, into: &out)
        }
        if job.dryRun { out.append(contentsOf: #","dry_run":true"#.utf8) }
        out.append(contentsOf: #","job_id":"#.utf8)
        JSONWriter.writeString(job.id, into: &out)
        out.append(contentsOf: #","lease_expires_at":"#.utf8)
        out.append(contentsOf: String(job.lease?.expiresAt ?? 0).utf8)
        out.append(contentsOf: #","lease_token":""#.utf8)
        out.append(contentsOf: String(job.lease?.token ?? 0).utf8)
        out.append(contentsOf: #"","max_attempts":"#.utf8)
        out.append(contentsOf: String(job.retry.maxAttempts).utf8)
        out.append(contentsOf: #","payload":"#.utf8)
        out.append(contentsOf: job.payload.utf8)
        out.append(contentsOf: #","tags":["#.utf8)
        for (index, tag) in job.tags.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(tag, into: &out)
        }
        out.append(contentsOf: #"],"timeout_ms":"#.utf8)
        out.append(contentsOf: String(job.retry.timeout.wholeMilliseconds).utf8)
        out.append(contentsOf: #","type":"#.utf8)
        JSONWriter.writeString(job.type, into: &out)
        out.append(contentsOf: #","user_id":"#.utf8)
        if let user = job.userID { JSONWriter.writeString(user, into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #"},"type":"assign"}"#.utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
