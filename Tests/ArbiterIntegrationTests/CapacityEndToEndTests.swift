import ArbiterTesting
import Foundation
import Testing

/// Capacity planning against a synthetic load with a known arrival rate and service time: a real
/// worker whose handler sleeps 0.4 s, fed 5 jobs a second.
@Suite struct CapacityEndToEndTests {
    static let arrivalRate = 5.0
    static let serviceSeconds = 0.4
    static let targetWait = 0.1
    /// `capacity.window`, in seconds.
    static let window = 20.0

    @Test("the recommended slots are within one of Erlang C for the known load, on the API, /metrics and arbiter capacity")
    func recommendsTheErlangCAnswer() async throws {
        let config = SecondScaleConfig.yaml(extra: "capacity:\n  window: 20s\n  target_wait: 100ms")
        try await ArbiterServer.with(config: config) { server in
            let worker = try WorkerProcess(server: server, id: "w", exec: ["build": "sleep \(Self.serviceSeconds)"], concurrency: 4)
            defer { Task { await worker.stop() } }
            // Arrivals start once the worker's slots are there, so no part of the window is a backlog.
            try await worker.waitForLog { $0["msg"] == "connected" }
            let loadStarted = Self.nowMilliseconds()
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
            defer { load.cancel() }

            // The load runs for a whole window (and a little, so rate() sees none of its start), then
            // one estimate is read on the API both before and after /metrics, so the gauges are its own.
            let windowMilliseconds = Int64(Self.window * 1000)
            var answer: [String: Any] = [:]
            var metrics = ""
            try await Polling.until("an estimate reads a full window of load", timeout: .seconds(Self.window + 60), interval: .milliseconds(500)) {
                let before = try await self.capacity(server)
                metrics = try await server.get("/metrics").text
                answer = try await self.capacity(server)
                guard let at = Self.milliseconds(answer["at"]), at >= loadStarted + windowMilliseconds + 2000 else { return false }
                return Self.milliseconds(before["at"]) == at
            }
            let at = try #require(Self.milliseconds(answer["at"]))

            #expect(answer["window"] as? String == "20s" && answer["target_wait"] as? String == "100ms")
            let build = try #require((answer["job_types"] as? [[String: Any]])?.first { $0["job_type"] as? String == "build" }, "\(answer)")
            let rate = build["arrival_rate"] as? Double ?? 0
            let service = build["service_seconds"] as? Double ?? 0
            let recommended = build["recommended_slots"] as? Int ?? -1

            // The same window as the job records tell it: each attempt's lease-to-report time, and the
            // queue wait before it.
            let (runs, waits) = try await self.attempts(server, finishedIn: (at - windowMilliseconds)...at)
            try #require(!runs.isEmpty, "no attempt finished in the window")
            let runMean = runs.reduce(0, +) / Double(runs.count)
            let waitMean = waits.reduce(0, +) / Double(waits.count)
            let expected = Self.erlangCSlots(arrivalRate: rate, serviceSeconds: service)
            let erlangC = expected.map { "\($0)" } ?? "-"
            print("capacity: λ \(rate)/s, S \(service) s, ρ \(build["utilization"] ?? "?"), slots \(build["slots"] ?? "?"), recommended \(recommended), "
                + "Erlang C here \(erlangC); \(runs.count) attempts in the window, mean \(runMean) s, mean queue wait \(waitMean) s")

            // λ is held to the arrivals the store recorded in the window, not to the 5/s the load aims at:
            // a loaded machine sends fewer. rate() extrapolates to the window's edges, hence the margin;
            // λ per minute (or counting completions with retries) would be far outside it.
            let arrivals = try await self.arrivals(server, createdIn: (at - windowMilliseconds)...at)
            let measured = Double(arrivals) / Self.window
            print("capacity: \(arrivals) arrivals in the window, \(measured)/s against the load's \(Self.arrivalRate)/s")
            #expect(arrivals > 0 && abs(rate - measured) <= max(0.5, measured * 0.2), "λ \(rate), arrivals \(measured)/s")
            // Every attempt sleeps 0.4 s, and a loaded machine stretches each one (the shell's start, the
            // sleep, the report), so S is held to the attempts' own mean over the window, not to 0.4 s
            // plus a margin. The two differ only by the attempts at the window's edges (the store is
            // sampled once a second); S in milliseconds would be a thousand times too large, and S
            // counting the queue wait too large by the mean wait, once that is more than the edges explain.
            #expect(service >= Self.serviceSeconds, "S \(service)")
            #expect(abs(service - runMean) <= max(0.05, runMean * 0.1), "S \(service), attempts' mean \(runMean) s, mean queue wait \(waitMean) s")
            #expect(build["slots"] as? Int == 4)
            // Erlang C from the closed form and the load as measured (λ and S, each checked above
            // against the known load): a loaded machine's longer attempts need more slots.
            #expect(expected.map { abs(recommended - $0) <= 1 } == true, "recommended \(recommended), Erlang C \(erlangC)")

            #expect(metrics.contains(#"arbiter_capacity_recommended_slots{job_type="build"} \#(recommended)"#), "\(metrics)")
            let table = try await ArbiterServer.run(
                ["capacity", "--server", server.baseURL], environment: ["ARBITER_TOKEN": server.adminToken], in: worker.directory)
            #expect(table.status == 0 && table.stdout.contains("RECOMMENDED") && table.stdout.contains("build"), "\(table.stdout)\(table.stderr)")
            print(table.stdout)
        }
    }

    /// The fewest slots whose mean queue wait (Erlang C, from its closed form) is under the target;
    /// `nil` for a load too large to size (a figure off by orders of magnitude).
    static func erlangCSlots(arrivalRate: Double, serviceSeconds: Double) -> Int? {
        let load = arrivalRate * serviceSeconds
        guard load.isFinite, load >= 0, load < 10_000 else { return nil }
        var slots = Int(load) + 1
        while ErlangCReference.meanWait(servers: slots, arrivalRate: arrivalRate, serviceSeconds: serviceSeconds) > Self.targetWait {
            slots += 1
        }
        return slots
    }

    /// `GET /api/v1/capacity`, decoded.
    func capacity(_ server: ArbiterServer) async throws -> [String: Any] {
        let response = try await server.get("/api/v1/capacity")
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// The duration (lease to report) and the queue wait before it, in seconds, of every build attempt
    /// that finished within `window` (Unix milliseconds), from the job records.
    /// How many jobs of the load the store holds as created in the window.
    func arrivals(_ server: ArbiterServer, createdIn window: ClosedRange<Int64>) async throws -> Int {
        let listing = try await server.get("/api/v1/jobs?type=build&limit=1000")
        let jobs = ((try JSONSerialization.jsonObject(with: Data(listing.body)) as? [String: Any])?["jobs"] as? [[String: Any]]) ?? []
        return jobs.count { Self.milliseconds($0["created_at"]).map(window.contains) == true }
    }

    func attempts(_ server: ArbiterServer, finishedIn window: ClosedRange<Int64>) async throws -> (runs: [Double], waits: [Double]) {
        let listing = try await server.get("/api/v1/jobs?type=build&state=succeeded&limit=1000")
        let jobs = ((try JSONSerialization.jsonObject(with: Data(listing.body)) as? [String: Any])?["jobs"] as? [[String: Any]]) ?? []
        var runs: [Double] = []
        var waits: [Double] = []
        for job in jobs {
            guard let id = job["id"] as? String else { continue }
            let response = try await server.get("/api/v1/jobs/\(id)")
            guard let detail = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                let created = Self.milliseconds(detail["created_at"])
            else { continue }
            for attempt in detail["attempts"] as? [[String: Any]] ?? [] {
                guard let started = Self.milliseconds(attempt["started_at"]), let finished = Self.milliseconds(attempt["finished_at"]),
                    window.contains(finished)
                else { continue }
                runs.append(Double(finished - started) / 1000)
                waits.append(Double(started - created) / 1000)
            }
        }
        return (runs, waits)
    }

    /// An RFC 3339 timestamp with milliseconds, as Unix milliseconds.
    static func milliseconds(_ value: Any?) -> Int64? {
        guard let text = value as? String, let date = ISO8601DateFormatter.withMilliseconds.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The wall clock in Unix milliseconds, as the server stamps its estimates.
    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
