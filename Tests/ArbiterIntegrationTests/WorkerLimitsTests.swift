import ArbiterTesting
import Foundation
import Testing

/// Reports over the server's limits are answered with an error that names the limit (never by
/// dropping the connection), the hello states the limits, and the reference worker keeps within
/// them, so nothing is resent for ever.
@Suite struct WorkerLimitsTests {
    let api = JobsAPITests()

    @Test func aResultOverTheLimitIsRefusedByNameAndTheConnectionStaysUp() async throws {
        try await ArbiterServer.with { server in
            let (_, created) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{},"max_attempts":2}"#)
            let id = try #require(created["id"] as? String)
            let socket = WorkerSocket(server, workerID: "w1")
            defer { Task { await socket.close() } }
            let hello = try await socket.hello(capabilities: ["mail"])
            let limits = try #require(hello["limits"] as? [String: Any], "the hello does not state the limits: \(hello)")
            #expect(limits["max_result_bytes"] as? Int == 1_048_576)
            #expect(limits["max_batch_messages"] as? Int == 1000)
            let maxMessage = try #require(limits["max_message_bytes"] as? Int)
            let assign = try await socket.next { $0["type"] as? String == "assign" }
            let job = try #require(assign["job"] as? [String: Any])
            let token = try #require(job["lease_token"] as? String)

            // 1.2 MiB of result: over the result limit, and over what the channel used to read at all.
            let result = String(repeating: "x", count: 1_200_000)
            #expect(result.utf8.count + 100 < maxMessage)
            try await socket.send(#"{"type":"complete","job_id":"\#(id)","lease_token":"\#(token)","result":"\#(result)"}"#)
            let tooLarge = try await socket.next { $0["type"] as? String == "error" }
            #expect(tooLarge["code"] as? String == "result_too_large" && tooLarge["job_id"] as? String == id)
            #expect((tooLarge["message"] as? String)?.contains("1048576") == true, "the limit is not named: \(tooLarge)")

            // The lease is still the worker's. An empty error is refused, as the protocol says.
            try await socket.send(#"{"type":"fail","job_id":"\#(id)","lease_token":"\#(token)","error":""}"#)
            let empty = try await socket.next(after: 1) { $0["type"] as? String == "error" }
            #expect(empty["code"] as? String == "invalid_message" && empty["job_id"] as? String == id)
            #expect((empty["message"] as? String)?.contains("error") == true)
            let (_, running) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect(running["state"] as? String == "running", "a refused report changed the job")

            try await socket.send(#"{"type":"fail","job_id":"\#(id)","lease_token":"\#(token)","error":"the result was too large"}"#)
            let ack = try await socket.next { $0["type"] as? String == "ack" }
            #expect(ack["job_id"] as? String == id && ack["request"] as? String == "fail" && ack["state"] as? String == "scheduled")
        }
    }

    @Test func aBatchOverTheLimitIsRefusedWholeByName() async throws {
        try await ArbiterServer.with { server in
            let socket = WorkerSocket(server, workerID: "w1")
            defer { Task { await socket.close() } }
            try await socket.hello(capabilities: ["mail"])
            let beats = Array(repeating: #"{"type":"heartbeat"}"#, count: 1001).joined(separator: ",")
            try await socket.send(#"{"type":"batch","messages":[\#(beats)]}"#)
            let refused = try await socket.next { $0["type"] as? String == "error" }
            #expect(refused["code"] as? String == "batch_too_large" && refused["job_id"] == nil)
            #expect((refused["message"] as? String)?.contains("1000") == true, "\(refused)")
            // A batch within the limit is answered, message by message.
            let fewer = Array(repeating: #"{"type":"heartbeat"}"#, count: 10).joined(separator: ",")
            try await socket.send(#"{"type":"batch","messages":[\#(fewer)]}"#)
            let answer = try await socket.next { $0["type"] as? String == "batch" }
            #expect((answer["messages"] as? [[String: Any]])?.count == 10)
        }
    }

    @Test func theReferenceWorkerReportsAResultOverTheLimitAsAFailInsteadOfResendingIt() async throws {
        try await ArbiterServer.with { server in
            // About 1.3 MB on stdout: a result over the 1 MiB limit.
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["big": "head -c 1300000 /dev/zero | tr '\\0' x"])
            defer { Task { await worker.stop() } }
            let (_, created) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"big","payload":{},"max_attempts":1}"#)
            let id = try #require(created["id"] as? String)
            try await Polling.until("the job is dead", timeout: .seconds(30), interval: .milliseconds(200)) {
                try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String == "dead"
            }
            let (_, job) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            let error = try #require(job["last_error"] as? String)
            #expect(error.contains("1048576"), "\(error)")
            #expect(worker.logLines.filter { $0["msg"] == "connected" }.count == 1, "the worker lost its connection over the report")
        }
    }
}
