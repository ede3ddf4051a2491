import ArbiterTesting
import Foundation
import Testing

/// Capacity planning against a synthetic load with a known arrival rate and service time: a real
/// worker whose handler sleeps 0.4 s, fed 5 jobs a second.
@Suite struct CapacityEndToEndTests {
    static let arrivalRate = 5.0
    static let serviceSeconds = 0.4
    static let targetWait = 0.1

    @Test("the recommended slots are within one of Erlang C for the known load, on the API, /metrics and arbiter capacity")
    func recommendsTheErlangCAnswer() async throws {
        let config = SecondScaleConfig.yaml(extra: "capacity:\n  window: 20s\n  target_wait: 100ms")
        try await ArbiterServer.with(config: config) { server in
            let worker = try WorkerProcess(server: server, id: "w", exec: ["build": "sleep \(Self.serviceSeconds)"], concurrency: 4)
            defer { Task { await worker.stop() } }
            // Each arrival is sent at its own deadline, without waiting for the one before, so a slow
            // response (other suites share the two cores) does not slow the arrivals; read while it runs.
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    let clock = ContinuousClock()
                    var next = clock.now
                    while !Task.isCancelled {
                        group.addTask { _ = try? await server.post("/api/v1/jobs", json: #"{"type":"build","payload":{}}"#) }
                        next += .milliseconds(Int64(1000 / Self.arrivalRate))
                        try? await clock.sleep(until: next)
                    }
                }
            }
            try await Task.sleep(for: .seconds(24))
            defer { load.cancel() }

            // Erlang C from its closed form and the load's parameters: the fewest slots whose mean wait is under target.
            var expected = Int(Self.arrivalRate * Self.serviceSeconds) + 1
            while ErlangCReference.meanWait(servers: expected, arrivalRate: Self.arrivalRate, serviceSeconds: Self.serviceSeconds) > Self.targetWait {
                expected += 1
            }

            let response = try await server.get("/api/v1/capacity")
            let answer = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
            #expect(answer["window"] as? String == "20s" && answer["target_wait"] as? String == "100ms")
            let build = try #require((answer["job_types"] as? [[String: Any]])?.first { $0["job_type"] as? String == "build" }, "\(answer)")
            let rate = build["arrival_rate"] as? Double ?? 0
            let service = build["service_seconds"] as? Double ?? 0
            let recommended = build["recommended_slots"] as? Int ?? -1
            print("capacity: λ \(rate)/s, S \(service) s, ρ \(build["utilization"] ?? "?"), slots \(build["slots"] ?? "?"), recommended \(recommended), Erlang C here \(expected)")
            // rate() extrapolates to the window's edges, and a busy machine sends some arrivals late in bursts.
            #expect(abs(rate - Self.arrivalRate) <= Self.arrivalRate * 0.2, "λ \(rate)")
            #expect(service >= Self.serviceSeconds && service < Self.serviceSeconds + 0.1, "S \(service)")
            #expect(build["slots"] as? Int == 4)
            #expect(abs(recommended - expected) <= 1, "recommended \(recommended), Erlang C \(expected)")

            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_capacity_recommended_slots{job_type="build"} \#(recommended)"#), "\(metrics)")
            let table = try await ArbiterServer.run(
                ["capacity", "--server", server.baseURL], environment: ["ARBITER_TOKEN": server.adminToken], in: worker.directory)
            #expect(table.status == 0 && table.stdout.contains("RECOMMENDED") && table.stdout.contains("build"), "\(table.stdout)\(table.stderr)")
            print(table.stdout)
        }
    }
}
