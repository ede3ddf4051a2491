@testable import ArbiterHTTP
import Foundation
import Testing

@Suite struct JSONWriterTests {
    @Test func nativeValuesKeysInByteOrder() {
        let object: [String: Any] = [
            "b": true, "a": 1, "Z": NSNull(), "é": "x", "list": [1, 2.5, "three", false] as [Any], "nested": ["k": Int64(9_007_199_254_740_993)],
            "raw": RawJSON(text: #"{"kept":[1,2]}"#),
        ]
        #expect(JSONWriter.string(object) == #"{"Z":null,"a":1,"b":true,"list":[1,2.5,"three",false],"nested":{"k":9007199254740993},"raw":{"kept":[1,2]},"é":"x"}"#)
    }

    @Test func parsedValuesRoundTripExactly() throws {
        let text = #"{"big":1795574763785037155,"f":false,"neg":-3,"pi":3.25,"t":true,"one":1,"zero":0,"s":"a\"b\\c\n\u0001/"}"#
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(JSONWriter.string(parsed) == #"{"big":1795574763785037155,"f":false,"neg":-3,"one":1,"pi":3.25,"s":"a\"b\\c\n\u0001/","t":true,"zero":0}"#)
    }

    @Test func notFiniteIsNull() {
        #expect(JSONWriter.string([Double.nan, Double.infinity] as [Any]) == "[null,null]")
    }
}

import ArbiterJobs
import ArbiterWorkerProtocol

/// The messages the worker channel writes by hand read back as the protocol's Codable messages.
@Suite struct HandWrittenMessageTests {
    @Test func assignmentTextIsAnAssignMessage() throws {
        let job = JobRecord(
            id: "j1", type: "email", payload: #"{"big":1795574763785037155,"to":"a@example.com"}"#, priority: 0, state: .running, runAt: 0, attempt: 2,
            retry: RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(2), timeout: .seconds(30)), idempotencyKey: nil,
            userID: nil, consentScope: nil, tags: ["a"], result: nil, lastError: nil, cancelReason: nil,
            lease: JobLease(workerID: "w", token: 4_611_686_018_427_387_904, expiresAt: 1_795_572_470_676), createdAt: 0, updatedAt: 0, finishedAt: nil)
        let message = try WorkerMessage.parse(WorkerChannel.assignmentText(job))
        #expect(message == .assign(Assignment(
            jobID: "j1", type: "email", payload: .object(["big": .integer(1_795_574_763_785_037_155), "to": .string("a@example.com")]), attempt: 2,
            maxAttempts: 5, timeoutMs: 30000, leaseToken: "4611686018427387904", leaseExpiresAt: 1_795_572_470_676, userID: nil, tags: ["a"])))
    }

    /// Written field by field, an assignment is byte for byte what JSONWriter makes of it as a dictionary.
    @Test func assignmentTextIsWhatTheGenericWriterWrites() {
        for (user, credential, tags, dryRun) in [(nil, nil, [String](), false), ("u\"1", "s3cr\u{1}et", ["a", "b\n"], true)] as [(String?, String?, [String], Bool)] {
            let job = JobRecord(
                id: "j\"2", type: "mail/é", payload: #"{"x":[1,2.5]}"#, priority: 0, state: .running, runAt: 0, attempt: 1,
                retry: RetryPolicy(maxAttempts: 3, initialBackoff: .seconds(1), maxBackoff: .seconds(2), timeout: .milliseconds(1500)), idempotencyKey: nil,
                userID: user, consentScope: nil, tags: tags, result: nil, lastError: nil, cancelReason: nil,
                lease: JobLease(workerID: "w", token: -7, expiresAt: 99, credential: credential), createdAt: 0, updatedAt: 0, finishedAt: nil,
                dryRun: dryRun)
            var assignment: [String: Any] = [
                "job_id": job.id, "type": job.type, "payload": RawJSON(text: job.payload), "attempt": job.attempt, "max_attempts": 3,
                "timeout_ms": Int64(1500), "lease_token": "-7", "lease_expires_at": Int64(99), "user_id": user.map { $0 as Any } ?? NSNull(), "tags": tags,
            ]
            if let credential { assignment["credential"] = credential }
            if dryRun { assignment["dry_run"] = true }
            #expect(WorkerChannel.assignmentText(job) == JSONWriter.string(["type": "assign", "job": assignment] as [String: Any]))
        }
    }
}
