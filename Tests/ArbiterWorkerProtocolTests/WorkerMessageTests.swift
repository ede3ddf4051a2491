import ArbiterWorkerProtocol
import Foundation
import Testing

/// The wire form of every message is what docs/worker-protocol.md shows, and reads back unchanged.
@Suite struct WorkerMessageTests {
    static let messages: [WorkerMessage] = [
        .workerHello(capabilities: ["email", "resize"], concurrency: 8, labels: ["zone": "a"]),
        .workerHello(capabilities: ["email"], concurrency: 1, labels: [:], running: ["j1", "j2"]),
        .serverHello(workerID: "w1", heartbeatIntervalMs: 5000, leaseTimeoutMs: 30000, serverVersion: "0.1.0"),
        .assign(Assignment(
            jobID: "j1", type: "email", payload: .object(["to": .string("a@example.com"), "n": .integer(2), "pi": .number(3.25), "ok": .bool(true), "x": .null]),
            attempt: 1, maxAttempts: 5, timeoutMs: 30000, leaseToken: "4611686018427387904", leaseExpiresAt: 1_795_572_470_676, userID: "u-17",
            tags: ["welcome"])),
        .complete(jobID: "j1", leaseToken: "42", result: .array([.integer(1), .number(-0.5), .integer(9_007_199_254_740_993), .string("two")])),
        .complete(jobID: "j1", leaseToken: "42", result: nil),
        .fail(jobID: "j1", leaseToken: "42", error: "SMTP 451"),
        .progress(jobID: "j1", leaseToken: "42", progress: .object(["done": .integer(40)])),
        .ack(jobID: "j1", request: "complete", state: "succeeded"),
        .cancel(jobID: "j1", reason: "operator"),
        .error(code: "stale_lease", message: "not the current lease", jobID: "j1"),
        .error(code: "invalid_message", message: "type is required", jobID: nil),
        .heartbeat(),
        .heartbeat(running: ["j1"]),
        .drain,
        .batch([.complete(jobID: "j1", leaseToken: "1", result: nil), .fail(jobID: "j2", leaseToken: "2", error: "x")]),
    ]

    @Test(arguments: Self.messages) func roundTrips(_ message: WorkerMessage) throws {
        #expect(try WorkerMessage.parse(try message.jsonText()) == message)
    }

    @Test func theWireFormMatchesTheDocument() throws {
        let hello = try JSONSerialization.jsonObject(with: Data(try Self.messages[0].jsonText().utf8)) as? [String: Any]
        #expect(hello?["type"] as? String == "hello" && hello?["protocol"] as? Int == 1 && hello?["concurrency"] as? Int == 8)
        let assign = try JSONSerialization.jsonObject(with: Data(try Self.messages[3].jsonText().utf8)) as? [String: Any]
        let job = assign?["job"] as? [String: Any]
        #expect(job?["job_id"] as? String == "j1" && job?["lease_token"] as? String == "4611686018427387904" && job?["timeout_ms"] as? Int == 30000)
    }

    @Test func aWorkerWritingByHandIsUnderstood() throws {
        let text = #"{"type":"complete","job_id":"j9","lease_token":"7","result":{"sent":true},"extra":"ignored"}"#
        #expect(try WorkerMessage.parse(text) == .complete(jobID: "j9", leaseToken: "7", result: .object(["sent": .bool(true)])))
        #expect(try WorkerMessage.parse(#"{"type":"hello","protocol":1,"capabilities":["a"]}"#) == .workerHello(capabilities: ["a"], concurrency: 1, labels: [:], running: nil))
    }

    @Test func badMessagesAreRefusedWithTheReason() {
        #expect(throws: DecodingError.self) { try WorkerMessage.parse(#"{"type":"teleport"}"#) }
        #expect(throws: DecodingError.self) { try WorkerMessage.parse(#"{"type":"fail","job_id":"j","lease_token":"1"}"#) }
        #expect(throws: DecodingError.self) { try WorkerMessage.parse(#"{"type":"hello","protocol":2,"capabilities":["a"]}"#) }
        #expect(throws: (any Error).self) { try WorkerMessage.parse("not json") }
        #expect(throws: DecodingError.self) { try WorkerMessage.parse(#"{"type":"batch","messages":[{"type":"batch","messages":[]}]}"#) }
    }

    @Test func nestingPastTheBoundIsRefused() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let text = #"{"type":"complete","job_id":"j1","lease_token":"1","result":"# + deep + "}"
        #expect(throws: (any Error).self) { _ = try WorkerMessage.parse(text) }
    }
}
