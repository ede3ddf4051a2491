import ArbiterTesting
import Foundation
import NIOWebSocket
import Testing

/// One connection speaks for a worker id: a newer one replaces the older, which the server closes
/// with 4000, and only the newer is given work.
@Suite struct WorkerReplacementTests {
    let api = JobsAPITests()

    @Test func aNewerConnectionReplacesTheOlderWhichIsClosedWith4000() async throws {
        try await ArbiterServer.with { server in
            let older = WorkerSocket(server, workerID: "w1")
            defer { Task { await older.close() } }
            try await older.hello(capabilities: ["mail"], concurrency: 4)
            let newer = WorkerSocket(server, workerID: "w1")
            defer { Task { await newer.close() } }
            try await newer.hello(capabilities: ["mail"], concurrency: 4)

            let code = try await older.closed()
            #expect(code == WebSocketErrorCode(codeNumber: 4000), "the older connection ended with \(older.ending)")
            for _ in 0..<3 { _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{}}"#) }
            _ = try await newer.next(after: 2) { $0["type"] as? String == "assign" }
            #expect(!older.messages.contains { $0["type"] as? String == "assign" }, "the replaced connection was given work")
            // The replaced connection's end is not the worker's: it is still registered and connected.
            let (status, worker) = try await self.api.get(server, "/api/v1/workers/w1")
            #expect(status == 200 && worker["leased_jobs"] as? Int == 3)
        }
    }

    @Test func theReferenceWorkerStopsWhenAnotherConnectionTakesItsID() async throws {
        try await ArbiterServer.with { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["mail": "cat"])
            defer { Task { await worker.stop() } }
            try await worker.waitForLog { $0["msg"] == "connected" }
            let newer = WorkerSocket(server, workerID: "w1")
            defer { Task { await newer.close() } }
            try await newer.hello(capabilities: ["mail"])
            // Reconnecting would take the id back, and the two would take turns for ever.
            let status = await worker.process.waitForExit(timeout: .seconds(15))
            #expect(status != nil && status != 0, "the replaced worker kept running")
            #expect(worker.process.stderr.contains("took over"))
            // A heartbeat answered after that exit: a close the server sent the newer connection before
            // it would have arrived first.
            try? await newer.send(#"{"type":"heartbeat"}"#)
            _ = try? await newer.next { $0["type"] as? String == "heartbeat" }
            #expect(newer.ending == "open", "the newer connection was replaced back")
        }
    }
}
