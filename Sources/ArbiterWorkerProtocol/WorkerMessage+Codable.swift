import Foundation

extension WorkerMessage: Codable {
    enum Key: String, CodingKey {
        case type, `protocol`, capabilities, concurrency, labels, jobID = "job_id", leaseToken = "lease_token", result, error, progress
        case workerID = "worker_id", heartbeatIntervalMs = "heartbeat_interval_ms", leaseTimeoutMs = "lease_timeout_ms"
        case serverVersion = "server_version", job, request, state, reason, code, message, running, messages, limits, drained
    }

    /// The `type` of the message on the wire.
    public var typeName: String {
        switch self {
        case .workerHello, .serverHello: "hello"
        case .complete: "complete"
        case .fail: "fail"
        case .progress: "progress"
        case .drain: "drain"
        case .assign: "assign"
        case .ack: "ack"
        case .cancel: "cancel"
        case .error: "error"
        case .heartbeat: "heartbeat"
        case .batch: "batch"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "hello":
            if c.contains(.workerID) {
                self = .serverHello(
                    workerID: try c.decode(String.self, forKey: .workerID),
                    heartbeatIntervalMs: try c.decode(Int64.self, forKey: .heartbeatIntervalMs),
                    leaseTimeoutMs: try c.decode(Int64.self, forKey: .leaseTimeoutMs),
                    serverVersion: try c.decodeIfPresent(String.self, forKey: .serverVersion) ?? "",
                    limits: try c.decodeIfPresent(WorkerLimits.self, forKey: .limits),
                    drained: try c.decodeIfPresent(WorkerDrain.self, forKey: .drained))
            } else {
                let version = try c.decode(Int.self, forKey: .protocol)
                guard version == WorkerProtocol.version else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .protocol, in: c, debugDescription: "protocol \(version) is not supported; this server speaks \(WorkerProtocol.version)")
                }
                self = .workerHello(
                    capabilities: try c.decode([String].self, forKey: .capabilities),
                    concurrency: try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? 1,
                    labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:],
                    running: try c.decodeIfPresent([String].self, forKey: .running))
            }
        case "complete":
            self = .complete(
                jobID: try c.decode(String.self, forKey: .jobID), leaseToken: try c.decode(String.self, forKey: .leaseToken),
                result: try c.decodeIfPresent(JSONValue.self, forKey: .result))
        case "fail":
            self = .fail(
                jobID: try c.decode(String.self, forKey: .jobID), leaseToken: try c.decode(String.self, forKey: .leaseToken),
                error: try c.decode(String.self, forKey: .error))
        case "progress":
            self = .progress(
                jobID: try c.decode(String.self, forKey: .jobID), leaseToken: try c.decode(String.self, forKey: .leaseToken),
                progress: try c.decodeIfPresent(JSONValue.self, forKey: .progress))
        case "drain": self = .drain
        case "assign": self = .assign(try c.decode(Assignment.self, forKey: .job))
        case "ack":
            self = .ack(
                jobID: try c.decode(String.self, forKey: .jobID), request: try c.decode(String.self, forKey: .request),
                state: try c.decode(String.self, forKey: .state))
        case "cancel": self = .cancel(jobID: try c.decode(String.self, forKey: .jobID), reason: try c.decode(String.self, forKey: .reason))
        case "error":
            self = .error(
                code: try c.decode(String.self, forKey: .code), message: try c.decode(String.self, forKey: .message),
                jobID: try c.decodeIfPresent(String.self, forKey: .jobID))
        case "heartbeat": self = .heartbeat(running: try c.decodeIfPresent([String].self, forKey: .running))
        case "batch":
            let messages = try c.decode([WorkerMessage].self, forKey: .messages)
            if messages.contains(where: \.isBatch) {
                throw DecodingError.dataCorruptedError(forKey: .messages, in: c, debugDescription: "a batch does not contain a batch")
            }
            self = .batch(messages)
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown message type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(self.typeName, forKey: .type)
        switch self {
        case .workerHello(let capabilities, let concurrency, let labels, let running):
            try c.encode(WorkerProtocol.version, forKey: .protocol)
            try c.encode(capabilities, forKey: .capabilities)
            try c.encode(concurrency, forKey: .concurrency)
            try c.encode(labels, forKey: .labels)
            try c.encodeIfPresent(running, forKey: .running)
        case .complete(let jobID, let token, let result):
            try c.encode(jobID, forKey: .jobID)
            try c.encode(token, forKey: .leaseToken)
            try c.encodeIfPresent(result, forKey: .result)
        case .fail(let jobID, let token, let error):
            try c.encode(jobID, forKey: .jobID)
            try c.encode(token, forKey: .leaseToken)
            try c.encode(error, forKey: .error)
        case .progress(let jobID, let token, let progress):
            try c.encode(jobID, forKey: .jobID)
            try c.encode(token, forKey: .leaseToken)
            try c.encodeIfPresent(progress, forKey: .progress)
        case .drain: break
        case .heartbeat(let running): try c.encodeIfPresent(running, forKey: .running)
        case .batch(let messages): try c.encode(messages, forKey: .messages)
        case .serverHello(let workerID, let interval, let lease, let version, let limits, let drained):
            try c.encode(WorkerProtocol.version, forKey: .protocol)
            try c.encode(workerID, forKey: .workerID)
            try c.encode(interval, forKey: .heartbeatIntervalMs)
            try c.encode(lease, forKey: .leaseTimeoutMs)
            try c.encode(version, forKey: .serverVersion)
            try c.encodeIfPresent(limits, forKey: .limits)
            try c.encodeIfPresent(drained, forKey: .drained)
        case .assign(let assignment): try c.encode(assignment, forKey: .job)
        case .ack(let jobID, let request, let state):
            try c.encode(jobID, forKey: .jobID)
            try c.encode(request, forKey: .request)
            try c.encode(state, forKey: .state)
        case .cancel(let jobID, let reason):
            try c.encode(jobID, forKey: .jobID)
            try c.encode(reason, forKey: .reason)
        case .error(let code, let message, let jobID):
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
            try c.encodeIfPresent(jobID, forKey: .jobID)
        }
    }

    /// The message as one line of JSON text.
    public func jsonText() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    /// Parses one message.
    /// - Throws: `DecodingError` naming what is missing or wrong.
    public static func parse(_ text: String) throws -> WorkerMessage {
        try JSONDecoder().decode(WorkerMessage.self, from: Data(text.utf8))
    }
}
