import ArbiterTesting
import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import Synchronization
import Testing
import WSClient

/// A worker written by hand gets a clear `error` for every kind of bad message, and nothing it sent
/// before is lost.
@Suite struct WorkerProtocolErrorTests {
    let api = JobsAPITests()

    /// Sends `messages` one at a time after connecting, collecting every message the server sends
    /// until `count` have arrived.
    func exchange(_ server: ArbiterServer, worker: String, _ messages: [String], expect count: Int) async throws -> [[String: Any]] {
        let received = Mutex<[String]>([])
        let url = server.baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/workers/\(worker)/connect"
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(server.adminToken)"
        _ = try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: headers), logger: Logger(label: "test")) { inbound, outbound, _ in
            for message in messages { try await outbound.write(.text(message)) }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                let total = received.withLock { list in
                    list.append(text)
                    return list.count
                }
                if total >= count { break }
            }
        }
        return received.withLock { $0 }.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    @Test func aFirstMessageThatIsNotHelloIsRefused() async throws {
        try await ArbiterServer.with { server in
            let replies = try await self.exchange(server, worker: "w1", [#"{"type":"heartbeat"}"#], expect: 1)
            #expect(replies.first?["type"] as? String == "error" && replies.first?["code"] as? String == "hello_required")
            let bad = try await self.exchange(server, worker: "w2", [#"{"type":"hello","protocol":1,"capabilities":["no spaces"]}"#], expect: 1)
            #expect(bad.first?["code"] as? String == "invalid_hello")
        }
    }

    @Test func everyBadMessageGetsItsCode() async throws {
        try await ArbiterServer.with { server in
            let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{}}"#)
            let id = try #require(job["id"] as? String)
            let messages = [
                #"{"type":"hello","protocol":1,"capabilities":["mail"],"concurrency":1}"#,
                "not json",
                #"{"type":"teleport"}"#,
                #"{"type":"fail","job_id":"x","lease_token":"1"}"#,
                #"{"type":"cancel","job_id":"x","reason":"a worker cannot cancel"}"#,
                #"{"type":"complete","job_id":"\#(id)","lease_token":"not-a-number"}"#,
                #"{"type":"complete","job_id":"\#(id)","lease_token":"12345"}"#,
                #"{"type":"complete","job_id":"no-such-job","lease_token":"1"}"#,
            ]
            // hello, assign, then one error per bad message.
            let replies = try await self.exchange(server, worker: "w1", messages, expect: 2 + 7)
            let errors = replies.filter { $0["type"] as? String == "error" }
            let codes = errors.compactMap { $0["code"] as? String }
            #expect(codes.filter { $0 == "invalid_message" }.count == 4, "\(errors)")
            #expect(codes.contains("unexpected_message"))
            #expect(codes.contains("stale_lease"))
            #expect(codes.contains("not_found"))
            #expect(errors.allSatisfy { ($0["message"] as? String)?.isEmpty == false })
            #expect(errors.contains { ($0["message"] as? String)?.contains("error is required") == true }, "the missing field is named")
            // The job that was assigned is still running under its real lease: nothing was lost.
            let (_, after) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect(after["state"] as? String == "running")
        }
    }

    @Test func aHeartbeatWithABadBodyIsRefused() async throws {
        try await ArbiterServer.with { server in
            _ = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w1","capabilities":["mail"]}"#)
            let (status, body) = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", #"{"running":"j1"}"#)
            #expect(status == 400 && self.api.error(body)["code"] == "invalid_field" && self.api.error(body)["field"] == "running")
            let (bad, badBody) = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", "[")
            #expect(bad == 400 && self.api.error(badBody)["code"] == "invalid_json")
            let (ok, okBody) = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", #"{"running":[]}"#)
            #expect(ok == 200 && okBody["cancel"] as? [Any] != nil)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aCancelLostWithARestartIsRepeatedWhenTheWorkerComesBack() async throws {
        let directory = try TemporaryDirectory(prefix: "cancel-restart")
        defer { directory.remove() }
        let data = directory.file("data")
        let listen = "127.0.0.1:\(try FreePort.next())"
        let server = try await ArbiterServer.start(dataDirectory: data, listen: listen)
        let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{}}"#)
        let id = try #require(job["id"] as? String)
        let first = try await self.exchange(server, worker: "w1", [#"{"type":"hello","protocol":1,"capabilities":["mail"]}"#], expect: 2)
        #expect(first.last?["type"] as? String == "assign")
        // Cancelled while the worker is away; the notice waits in memory, and the daemon dies with it.
        let (cancelled, _) = try await self.api.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"no longer needed"}"#)
        #expect(cancelled == 200)
        server.process.signal(SIGKILL)
        _ = await server.process.waitForExit(timeout: .seconds(10))
        server.directory.remove()
        let restarted = try await ArbiterServer.start(dataDirectory: data, listen: listen)
        defer { Task { await restarted.stop() } }
        let hello = #"{"type":"hello","protocol":1,"capabilities":["mail"],"running":["\#(id)"]}"#
        let replies = try await self.exchange(restarted, worker: "w1", [hello], expect: 2)
        #expect(replies.last?["type"] as? String == "cancel" && replies.last?["job_id"] as? String == id)
        #expect(replies.last?["reason"] as? String == "no longer needed")
    }
}
