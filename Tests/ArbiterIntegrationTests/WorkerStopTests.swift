import ArbiterTesting
import Foundation
import Testing

/// A worker that drains and closes has stopped, not crashed: rolling restarts count no offline
/// event (so they never look like flapping), and a worker an alert drained is told why.
@Suite struct WorkerStopTests {
    let api = JobsAPITests()

    @Test(.timeLimit(.minutes(2))) func rollingRestartsAreNotOfflineEvents() async throws {
        // A short heartbeat timeout, so a stop read as silence would be counted within the test.
        try await ArbiterServer.with(config: "workers:\n  timeout: 2s\n") { server in
            for restart in 1...4 {
                let worker = try WorkerProcess(server: server, id: "w1", exec: ["echo": "cat"])
                try await worker.waitForLog { $0["msg"] == "connected" }
                let (_, job) = try await self.api.post(server, "/api/v1/jobs", #"{"type":"echo","payload":{"restart":\#(restart)}}"#)
                let id = try #require(job["id"] as? String)
                try await Polling.until("job \(restart) is done") { try await self.api.get(server, "/api/v1/jobs/\(id)").1["state"] as? String == "succeeded" }
                // SIGTERM: the worker drains, its reports are acknowledged, it closes with 1000.
                await worker.stop()
                try await Polling.until("the server sees stop \(restart)") {
                    server.logLines.filter { $0["msg"]?.hasPrefix("worker stopped") == true && $0["worker_id"] == "w1" }.count == restart
                }
                let (gone, _) = try await self.api.get(server, "/api/v1/workers/w1")
                #expect(gone == 404, "a stopped worker is forgotten at once, not left draining")
                // Longer than workers.timeout: a stop read as silence would now be an offline event.
                try await Task.sleep(for: .milliseconds(2_600))
            }
            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_worker_stops_total", ["worker_id": "w1"]) == "4")
            let offline = ExpositionSamples.value(in: metrics, "arbiter_worker_offline_total", ["worker_id": "w1"]) ?? "0"
            #expect(offline == "0", "clean stops were counted as offline events")
            #expect(!server.logLines.contains { $0["msg"]?.hasPrefix("worker missed its heartbeats") == true })
        }
    }

    @Test func aWorkerThatDropsOutIsStillAnOfflineEvent() async throws {
        try await ArbiterServer.with(config: "workers:\n  timeout: 1s\n") { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["echo": "cat"])
            try await worker.waitForLog { $0["msg"] == "connected" }
            // Killed: no drain, no close.
            worker.process.signal(SIGKILL)
            _ = await worker.process.waitForExit(timeout: .seconds(10))
            worker.directory.remove()
            try await Polling.until("the worker is offline and counted") {
                let state = try await self.api.get(server, "/api/v1/workers/w1").1["state"] as? String
                let metrics = try await server.get("/metrics").text
                return state == "offline" && ExpositionSamples.value(in: metrics, "arbiter_worker_offline_total", ["worker_id": "w1"]) == "1"
            }
            #expect(!server.logLines.contains { $0["msg"]?.hasPrefix("worker stopped") == true }, "a killed worker was read as a clean stop")
        }
    }

    @Test func aDrainedWorkerIsToldWhyInItsHelloAndTheAPI() async throws {
        try await ArbiterServer.with { server in
            let webhook = try await server.post("/api/v1/alertmanager/webhook", json: """
                {"version":"4","alerts":[{"status":"firing","labels":{"alertname":"ArbiterWorkerFlapping","arbiter_action":"drain","worker_id":"w1"}}]}
                """)
            #expect((200..<300).contains(webhook.status), "\(webhook.text)")
            _ = try await self.api.post(server, "/api/v1/jobs", #"{"type":"mail","payload":{}}"#)

            let drained = WorkerSocket(server, workerID: "w1")
            defer { Task { await drained.close() } }
            let hello = try await drained.hello(capabilities: ["mail"])
            let why = try #require(hello["drained"] as? [String: Any], "the hello does not say the worker is drained: \(hello)")
            #expect(why["alerts"] as? [String] == ["ArbiterWorkerFlapping"])
            #expect((why["message"] as? String)?.contains("ArbiterWorkerFlapping") == true)
            #expect(why["since"] as? Int != nil)
            let (_, resource) = try await self.api.get(server, "/api/v1/workers/w1")
            let shown = try #require(resource["drained"] as? [String: Any], "GET /api/v1/workers/w1 does not say it is drained: \(resource)")
            #expect(shown["alerts"] as? [String] == ["ArbiterWorkerFlapping"] && shown["since"] is String)

            // Another worker is not drained: it is not told so, and it takes the job.
            let other = WorkerSocket(server, workerID: "w2")
            defer { Task { await other.close() } }
            let otherHello = try await other.hello(capabilities: ["mail"])
            #expect(otherHello["drained"] == nil)
            _ = try await other.next { $0["type"] as? String == "assign" }
            #expect(!drained.messages.contains { $0["type"] as? String == "assign" })
            let (_, free) = try await self.api.get(server, "/api/v1/workers/w2")
            #expect(free["drained"] == nil)
        }
    }
}
