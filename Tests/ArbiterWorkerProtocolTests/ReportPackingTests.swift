import ArbiterWorkerProtocol
import Foundation
import Testing

/// A worker's reports go out within the limits the server's hello states, so it never sends a
/// message the server must refuse or cannot read (and so never resends one for ever).
@Suite struct ReportPackingTests {
    static let limits = WorkerLimits(maxMessageBytes: 2_000, maxResultBytes: 1_000, maxBatchMessages: 3)

    static func complete(_ id: String, resultBytes: Int) -> WorkerMessage {
        .complete(jobID: id, leaseToken: "7", result: .string(String(repeating: "x", count: max(resultBytes - 2, 0))))
    }

    static func decode(_ text: String) throws -> WorkerMessage {
        try WorkerMessage.parse(text)
    }

    @Test func theServersHelloStatesItsLimitsAndAnyDrain() throws {
        let hello = WorkerMessage.serverHello(
            workerID: "w1", heartbeatIntervalMs: 5000, leaseTimeoutMs: 30000, serverVersion: "0.1.0",
            limits: WorkerLimits(maxMessageBytes: 8_454_144, maxResultBytes: 1_048_576, maxBatchMessages: 1000),
            drained: WorkerDrain(since: 1_795_572_470_676, alerts: ["ArbiterWorkerFlapping"], message: "no jobs"))
        #expect(try WorkerMessage.parse(try hello.jsonText()) == hello)
        let object = try JSONSerialization.jsonObject(with: Data(try hello.jsonText().utf8)) as? [String: Any]
        let limits = object?["limits"] as? [String: Any]
        #expect(limits?["max_message_bytes"] as? Int == 8_454_144 && limits?["max_result_bytes"] as? Int == 1_048_576)
        #expect(limits?["max_batch_messages"] as? Int == 1000)
        #expect((object?["drained"] as? [String: Any])?["alerts"] as? [String] == ["ArbiterWorkerFlapping"])
        // An older server's hello, without either, still reads.
        let plain = #"{"type":"hello","protocol":1,"worker_id":"w1","heartbeat_interval_ms":5000,"lease_timeout_ms":30000}"#
        #expect(try WorkerMessage.parse(plain) == .serverHello(workerID: "w1", heartbeatIntervalMs: 5000, leaseTimeoutMs: 30000, serverVersion: ""))
    }

    @Test func reportsWithinTheLimitsGoAsTheyAreInBatchesOfAtMostTheLimit() throws {
        let reports = (1...7).map { Self.complete("j\($0)", resultBytes: 10) }
        let packed = ReportPacking.pack(reports, limits: Self.limits)
        #expect(packed.changed.isEmpty)
        #expect(packed.messages.count == 3, "7 reports in batches of at most 3")
        var sent: [WorkerMessage] = []
        for text in packed.messages {
            #expect(text.utf8.count <= Self.limits.maxMessageBytes)
            switch try Self.decode(text) {
            case .batch(let inner):
                #expect(inner.count <= 3)
                sent += inner
            case let single:
                sent.append(single)
            }
        }
        #expect(sent == reports, "every report goes out once, in order")
    }

    @Test func aBatchNeverOutgrowsTheMessageLimit() throws {
        // Each report is about 900 bytes: two fit in 2,000 bytes, three do not.
        let reports = (1...4).map { Self.complete("j\($0)", resultBytes: 850) }
        let packed = ReportPacking.pack(reports, limits: Self.limits)
        #expect(packed.changed.isEmpty)
        #expect(packed.messages.allSatisfy { $0.utf8.count <= Self.limits.maxMessageBytes })
        #expect(packed.messages.count == 2)
    }

    @Test func aResultOverTheLimitIsReportedAsAFailThatNamesTheLimit() throws {
        let packed = ReportPacking.pack([Self.complete("big", resultBytes: 1_500), Self.complete("small", resultBytes: 10)], limits: Self.limits)
        guard case .fail(let id, let token, let error)? = packed.changed["big"] else {
            Issue.record("the over-limit complete was not turned into a fail: \(packed.changed)")
            return
        }
        #expect(id == "big" && token == "7")
        #expect(error.contains("1500 bytes") && error.contains("1000 bytes"), "\(error)")
        #expect(packed.changed["small"] == nil)
        let sent = try Self.decode(packed.messages[0])
        guard case .batch(let inner) = sent else {
            Issue.record("expected one batch, got \(packed.messages)")
            return
        }
        #expect(inner == [packed.changed["big"]!, Self.complete("small", resultBytes: 10)])
    }

    @Test func aReportThatCannotFitAMessageIsCutDownRatherThanSent() throws {
        // A result under the result limit in a message under a smaller message limit.
        let tight = WorkerLimits(maxMessageBytes: 500, maxResultBytes: 1_000, maxBatchMessages: 10)
        let longError = WorkerMessage.fail(jobID: "f", leaseToken: "1", error: String(repeating: "e", count: 5_000))
        let bigProgress = WorkerMessage.progress(jobID: "p", leaseToken: "1", progress: .string(String(repeating: "p", count: 5_000)))
        let packed = ReportPacking.pack([Self.complete("c", resultBytes: 800), longError, bigProgress], limits: tight)
        #expect(packed.messages.allSatisfy { $0.utf8.count <= tight.maxMessageBytes }, "\(packed.messages.map(\.utf8.count))")
        if case .fail(_, _, let error)? = packed.changed["c"] { #expect(error.contains("500 bytes")) } else { Issue.record("complete c was sent as is") }
        if case .fail(_, _, let error)? = packed.changed["f"] { #expect(error.utf8.count == 250) } else { Issue.record("the long error was sent whole") }
        #expect(packed.changed["p"] == WorkerMessage.progress(jobID: "p", leaseToken: "1", progress: nil))
    }

    @Test func nothingIsLostWhenNothingIsPacked() {
        #expect(ReportPacking.pack([], limits: Self.limits) == ReportPacking.Packed(messages: [], changed: [:]))
    }
}
