import ArbiterCore
import Foundation

/// How a worker's reports go out within the server's ``WorkerLimits``: a report the server could
/// not record as it is becomes one it can (a `complete` whose result is over the limit, or that
/// would not fit in a message, becomes a `fail` that says so), and reports are packed into as few
/// messages as the limits allow. A worker that sends only what this returns never sends a message
/// the server must refuse or cannot read, so it never resends one for ever.
public enum ReportPacking {
    /// The most of a `fail`'s error text the server keeps.
    public static let maxErrorBytes = 64 * 1024

    /// What `pack` made of a run of reports.
    public struct Packed: Sendable, Equatable {
        /// The text of each message to send, in order: one report, or a `batch` of several.
        public var messages: [String]
        /// The reports that were changed to fit, by job id: keep these in place of the originals
        /// (a resend after a reconnect must send what the server can record).
        public var changed: [String: WorkerMessage]

        public init(messages: [String], changed: [String: WorkerMessage]) {
            self.messages = messages
            self.changed = changed
        }
    }

    /// Packs reports (`complete`, `fail`, `progress`) into messages within `limits`, in order.
    public static func pack(_ reports: [WorkerMessage], limits: WorkerLimits) -> Packed {
        var packed = Packed(messages: [], changed: [:])
        var texts: [String] = []
        for report in reports {
            let (fitted, text) = self.fit(report, limits: limits)
            if fitted != report, let jobID = fitted.jobID { packed.changed[jobID] = fitted }
            if let text { texts.append(text) }
        }
        // `{"type":"batch","messages":[` … `]}` around reports separated by commas.
        let envelope = Self.batchPrefix.utf8.count + Self.batchSuffix.utf8.count
        var batch: [String] = []
        var batchBytes = envelope
        func flush() {
            if batch.count == 1 {
                packed.messages.append(batch[0])
            } else if batch.count > 1 {
                packed.messages.append(Self.batchPrefix + batch.joined(separator: ",") + Self.batchSuffix)
            }
            batch.removeAll()
            batchBytes = envelope
        }
        for text in texts {
            let added = text.utf8.count + (batch.isEmpty ? 0 : 1)
            if !batch.isEmpty && (batch.count >= max(limits.maxBatchMessages, 1) || batchBytes + added > limits.maxMessageBytes) { flush() }
            batch.append(text)
            batchBytes += text.utf8.count + (batch.count > 1 ? 1 : 0)
        }
        flush()
        return packed
    }

    static let batchPrefix = #"{"type":"batch","messages":["#
    static let batchSuffix = "]}"

    /// The report as the server can record it, and its text (`nil` if it cannot be encoded).
    static func fit(_ report: WorkerMessage, limits: WorkerLimits) -> (WorkerMessage, String?) {
        guard let text = try? report.jsonText() else {
            // JSON has no NaN or infinity: such a result can never be recorded.
            switch report {
            case .complete(let jobID, let token, _):
                return self.encoded(.fail(jobID: jobID, leaseToken: token, error: "the result cannot be written as JSON (a number that is not finite?)"))
            case .progress(let jobID, let token, _):
                return self.encoded(.progress(jobID: jobID, leaseToken: token, progress: nil))
            default:
                return (report, nil)
            }
        }
        let bytes = text.utf8.count
        switch report {
        case .complete(let jobID, let token, let result?):
            // The result is part of the message, so only a large message can hold a large result.
            if bytes > limits.maxResultBytes, let resultBytes = try? JSONEncoder().encode(result).count, resultBytes > limits.maxResultBytes {
                return self.encoded(.fail(
                    jobID: jobID, leaseToken: token,
                    error: "the result is \(resultBytes) bytes of JSON, over the server's limit of \(limits.maxResultBytes) bytes (max_result_bytes)"))
            }
            if bytes > limits.maxMessageBytes {
                return self.encoded(.fail(
                    jobID: jobID, leaseToken: token,
                    error: "the report is \(bytes) bytes, over the server's limit of \(limits.maxMessageBytes) bytes for a message (max_message_bytes)"))
            }
        case .fail(let jobID, let token, let error):
            let most = min(Self.maxErrorBytes, max(limits.maxMessageBytes / 2, 1))
            if error.utf8.count > most || bytes > limits.maxMessageBytes {
                return self.encoded(.fail(jobID: jobID, leaseToken: token, error: error.utf8Prefix(maxBytes: most)))
            }
        case .progress(let jobID, let token, _?) where bytes > limits.maxMessageBytes:
            // Progress details are not stored: the lease extension is what matters.
            return self.encoded(.progress(jobID: jobID, leaseToken: token, progress: nil))
        default:
            break
        }
        return (report, text)
    }

    private static func encoded(_ report: WorkerMessage) -> (WorkerMessage, String?) {
        (report, try? report.jsonText())
    }
}

extension WorkerMessage {
    /// The job a report (or cancel, ack or error) is about.
    public var jobID: String? {
        switch self {
        case .complete(let id, _, _), .fail(let id, _, _), .progress(let id, _, _), .ack(let id, _, _), .cancel(let id, _): id
        case .error(_, _, let id): id
        case .assign(let assignment): assignment.jobID
        case .workerHello, .drain, .serverHello, .heartbeat, .batch: nil
        }
    }
}
