import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// `/api/v1/workers` on a real daemon: registration, heartbeats, draining, removal, and going offline.
@Suite struct WorkersAPITests {
    let api = JobsAPITests()

    @Test func registerHeartbeatDrainRemove() async throws {
        try await ArbiterServer.with(config: "workers:\n  timeout: 1s\n") { server in
            let (created, worker) = try await self.api.post(
                server, "/api/v1/workers/register", #"{"id":"w1","capabilities":["email"],"concurrency":4,"labels":{"zone":"a"}}"#)
            #expect(created == 201 && worker["state"] as? String == "idle" && worker["concurrency"] as? Int == 4)
            let (again, _) = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w1","capabilities":["email"]}"#)
            #expect(again == 200)
            let (bad, badBody) = try await self.api.post(server, "/api/v1/workers/register", #"{"id":"w2","capabilities":[]}"#)
            #expect(bad == 400 && self.api.error(badBody)["field"] == "capabilities")

            // Silent for longer than workers.timeout: offline within a clock tick, and back on a heartbeat.
            // The wait stays under the default timeout (15 s), which a server ignoring the setting would use.
            try await Polling.until("w1 is offline", timeout: .seconds(10), interval: .milliseconds(200)) {
                try await self.api.get(server, "/api/v1/workers/w1").1["state"] as? String == "offline"
            }
            let metrics = try await server.get("/metrics").text
            #expect(ExpositionSamples.value(in: metrics, "arbiter_workers", ["state": "offline"]) == "1")
            let (beat, beatBody) = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", "")
            #expect(beat == 200 && beatBody["state"] as? String == "idle")

            // An online worker drains. With a 1 s timeout a loaded machine can let the clock take it
            // offline between the heartbeat and the drain (then it stays offline): heartbeat again.
            var drainedState: String?
            try await Polling.until("w1 drains", timeout: .seconds(30), interval: .milliseconds(10)) {
                _ = try await self.api.post(server, "/api/v1/workers/w1/heartbeat", "")
                let (drained, drainedBody) = try await self.api.post(server, "/api/v1/workers/w1/drain", "")
                #expect(drained == 200)
                drainedState = drainedBody["state"] as? String
                return drainedState == "draining"
            }
            #expect(drainedState == "draining")
            let (_, listing) = try await self.api.get(server, "/api/v1/workers")
            #expect((listing["workers"] as? [[String: Any]])?.count == 1)
            let removed = try await server.send("/api/v1/workers/w1", method: .DELETE)
            #expect(removed.status == 204)
            let (missing, missingBody) = try await self.api.get(server, "/api/v1/workers/w1")
            #expect(missing == 404 && self.api.error(missingBody)["code"] == "not_found")
        }
    }
}
