import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// The daemon on PostgreSQL when the database goes away under load and comes back: while it is down
/// every request that needs it is answered 503 `store_unavailable` within a bound (never a 500, never
/// a hang) and readiness says so; once it is back the same daemon process serves again by itself, and
/// no acknowledged job is lost or completed twice. The run prints its timeline.
@Suite(.enabled(if: PostgresServer.shouldRun), .heavy) struct PostgresFaultTests {
    static let config = """
        job_types:
          load:
            max_attempts: 10
        """
    /// The longest a request may take to be refused while the store is down.
    static let refusalBound = Duration.seconds(10)

    struct Timeline {
        var halting: Date?
        var down: Date?
        var first503: Date?
        var notReady: Date?
        var back: Date?
        var reconnected: Date?
        var newJobDone: Date?
        var accepted = 0
        var refused = 0
        var finished = 0
        var stored = 0
        var slowestRefusal = Duration.zero
    }

    @Test(.timeLimit(.minutes(10)))
    func aStoreThatGoesAwayIsReportedAndServiceResumesWithoutARestart() async throws {
        // A server of its own: halting the one the test process shares would fail other tests.
        let postgres = try await PostgresServer.start()
        defer { postgres.stop() }
        let server = try await ArbiterServer.start(config: Self.config, store: .postgres, postgres: postgres)
        let worker: WorkerProcess
        do {
            worker = try WorkerProcess(server: server, id: "loader", exec: ["load": #"cat > /dev/null; echo '{"ok":true}'"#], concurrency: 4)
        } catch {
            await server.stop()
            throw error
        }
        let submitter = SteadySubmitter(server, type: "load")
        var timeline = Timeline()
        do {
            try await self.run(server, postgres: postgres, worker: worker, submitter: submitter, timeline: &timeline)
        } catch {
            await submitter.stop()
            Self.print(timeline)
            await worker.stop()
            await server.stop()
            throw error
        }
        await worker.stop()
        await server.stop()
    }

    private func run(
        _ server: ArbiterServer, postgres: PostgresServer, worker: WorkerProcess, submitter: SteadySubmitter, timeline: inout Timeline
    ) async throws {
        // A healthy stretch first: jobs are submitted and run, and the detailed health names the store.
        try await Polling.until("50 jobs succeed", timeout: .seconds(60), interval: .milliseconds(200)) {
            try await JobCounts.fetch(server, type: "load")["succeeded"] ?? 0 >= 50
        }
        let healthy = try await Self.storeHealth(server)
        #expect(healthy.status == 200 && healthy.store?["status"] as? String == "ok", "\(healthy.text)")
        let healthyDetail = healthy.store?["detail"] as? String ?? ""
        #expect(healthyDetail.hasPrefix("postgres postgresql://postgres@127.0.0.1"), "\(healthy.text)")
        let before = try await server.get("/metrics").text

        timeline.halting = Date()
        try await postgres.halt()
        let downAt = ContinuousClock.now
        timeline.down = Date()

        // Readiness and the detailed health say the store is down.
        try await Polling.until("/readyz answers 503 naming the store", timeout: .seconds(20), interval: .milliseconds(100)) {
            let ready = try await server.send("/readyz", token: "")
            return ready.status == 503 && ready.text.contains(#""component":"store""#)
        }
        timeline.notReady = Date()
        let known = try #require(submitter.accepted.first)
        try await self.expectRefusals(server, known: known, when: "at once")
        // Down long enough that the token the server last checked against the store (cached 5 s) has
        // to be checked again.
        try await Polling.until("the submitter is answered more than 6 s into the outage", timeout: .seconds(60), interval: .milliseconds(100)) {
            submitter.all.contains { $0.sent > downAt + .seconds(6) && $0.status != nil }
        }
        try await self.expectRefusals(server, known: known, when: "6 s in")

        try await postgres.restart()
        let backAt = ContinuousClock.now
        timeline.back = Date()
        try await Polling.until("/readyz answers 200 again", timeout: .seconds(60), interval: .milliseconds(100)) {
            try await server.send("/readyz", token: "").status == 200
        }
        timeline.reconnected = Date()
        let fresh = try await server.post("/api/v1/jobs", json: #"{"type":"load","payload":{"after":true}}"#)
        #expect(fresh.status == 201, "\(fresh.text)")
        let freshID = try #require((try JSONSerialization.jsonObject(with: Data(fresh.body)) as? [String: Any])?["id"] as? String)
        try await Polling.until("a job submitted after the outage succeeds", timeout: .seconds(60), interval: .milliseconds(100)) {
            (try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/jobs/\(freshID)").body)) as? [String: Any])?["state"]
                as? String == "succeeded"
        }
        timeline.newJobDone = Date()
        try await Polling.until("50 more submissions are accepted", timeout: .seconds(60), interval: .milliseconds(100)) {
            submitter.all.filter { $0.sent > backAt && $0.accepted }.count >= 50
        }
        await submitter.stop()

        // Whatever was acknowledged runs to the end.
        let answers = submitter.all
        let accepted = Set(submitter.accepted + [freshID])
        timeline.accepted = accepted.count
        timeline.refused = answers.filter { $0.status == 503 }.count
        timeline.first503 = answers.first { $0.status == 503 }.map { Date(timeIntervalSinceNow: -(ContinuousClock.now - $0.answered).seconds) }
        timeline.slowestRefusal = answers.filter { $0.status == 503 }.map(\.latency).max() ?? .zero
        try await Polling.until("every job is finished", timeout: .seconds(120), interval: .milliseconds(250)) {
            let counts = try await JobCounts.fetch(server, type: "load")
            return counts["queued", default: 0] + counts["running", default: 0] + counts["scheduled", default: 0] == 0
        }
        let rows = try await server.store.rows("SELECT id, state FROM jobs")
        let states = Dictionary(rows.map { ($0[0], $0[1]) }, uniquingKeysWith: { first, _ in first })
        timeline.stored = states.count
        timeline.finished = states.values.filter { $0 == "succeeded" }.count
        Self.print(timeline)

        // Clients were refused, never failed: 201 or 503 store_unavailable, each within the bound.
        let unexpected = answers.filter { !$0.accepted && !($0.status == 503 && $0.code == "store_unavailable") }
        #expect(unexpected.isEmpty, "answers other than 201 and 503 store_unavailable: \(unexpected.prefix(5))")
        #expect(timeline.slowestRefusal < Self.refusalBound, "the slowest refusal took \(timeline.slowestRefusal)")
        #expect(timeline.refused > 0, "no submission met the outage")
        // Nothing acknowledged is lost, and everything acknowledged ran.
        let notSucceeded = accepted.filter { states[$0] != "succeeded" }
        #expect(notSucceeded.isEmpty, "acknowledged jobs lost or unfinished: \(notSucceeded.prefix(5).map { ($0, states[$0] ?? "missing") })")
        // Nothing completed twice: one succeeded attempt and one job.succeeded audit entry per job.
        let twice = try await server.store.rows("SELECT job_id FROM job_attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING COUNT(*) > 1")
        #expect(twice.isEmpty, "jobs completed twice: \(twice.prefix(5))")
        let succeededEntries = try await Scenario(server: server, directory: worker.directory).audit("action=job.succeeded").map(\.subject)
        let entriesPerJob = Dictionary(succeededEntries.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(entriesPerJob.filter { $0.value > 1 }.isEmpty, "job.succeeded audited more than once: \(entriesPerJob.filter { $0.value > 1 }.prefix(5))")
        #expect(Set(entriesPerJob.keys) == Set(states.filter { $0.value == "succeeded" }.keys), "job.succeeded entries and succeeded jobs differ")
        let verify = try await server.get("/api/v1/audit/verify")
        #expect(verify.status == 200 && verify.text.contains(#""intact":true"#), "\(verify.text)")

        // The same process served throughout, and its metrics tell the story.
        #expect(server.process.isRunning && worker.process.isRunning)
        #expect(server.logLines.filter { $0["msg"] == "arbiter is ready" }.count == 1)
        let after = try await server.get("/metrics").text
        #expect(Self.total(after, "arbiter_store_reconnects_total") > 0, "no reconnect counted")
        let failuresBefore = Self.total(before, "arbiter_store_query_errors_total") + Self.total(before, "arbiter_store_connect_failures_total")
        let failuresAfter = Self.total(after, "arbiter_store_query_errors_total") + Self.total(after, "arbiter_store_connect_failures_total")
        #expect(failuresAfter > failuresBefore, "neither failed statements nor failed connections were counted")
    }

    /// While the store is down: every request that needs it is refused as unavailable, soon, and the
    /// detailed health says which component is down.
    func expectRefusals(_ server: ArbiterServer, known: String, when: String) async throws {
        let probes: [(HTTPMethod, String, String?)] = [
            (.GET, "/api/v1/jobs/\(known)", nil), (.GET, "/api/v1/jobs?limit=5", nil), (.GET, "/api/v1/job-types", nil),
            (.POST, "/api/v1/jobs", #"{"type":"load","payload":{"probe":true}}"#),
            (.POST, "/api/v1/jobs/batch", #"{"jobs":[{"type":"load","payload":{"probe":1}},{"type":"load","payload":{"probe":2}}]}"#),
        ]
        for (method, path, body) in probes {
            let started = ContinuousClock.now
            let answer = try await server.send(
                path, method: method, headers: body == nil ? [] : [("Content-Type", "application/json")], body: body.map { Array($0.utf8) },
                timeout: Self.refusalBound + .seconds(5))
            let took = ContinuousClock.now - started
            #expect(
                answer.status == 503 && answer.text.contains(#""code":"store_unavailable""#), "\(when): \(method) \(path): \(answer.status) \(answer.text)")
            #expect(took < Self.refusalBound, "\(when): \(method) \(path) took \(took)")
        }
        let health = try await Self.storeHealth(server)
        #expect(health.status == 503 && health.store?["status"] as? String == "down", "\(when): \(health.status) \(health.text)")
        let detail = health.store?["detail"] as? String ?? ""
        #expect(detail.contains("cannot be read"), "\(when): \(health.text)")
    }

    /// `GET /health/detailed` as the admin, and its `store` component.
    static func storeHealth(_ server: ArbiterServer) async throws -> (status: Int, store: [String: Any]?, text: String) {
        let response = try await server.get("/health/detailed")
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return (response.status, (object?["components"] as? [String: Any])?["store"] as? [String: Any], response.text)
    }

    /// The sum of every sample of a family.
    static func total(_ metrics: String, _ name: String) -> Double {
        ExpositionSamples.parse(metrics).filter { $0.name == name }.compactMap { Double($0.value) }.reduce(0, +)
    }

    static func print(_ timeline: Timeline) {
        let events: [(String, Date?)] = [
            ("halting PostgreSQL (pg_ctl stop -m immediate)", timeline.halting), ("PostgreSQL halted", timeline.down), ("first 503 store_unavailable", timeline.first503), ("/readyz 503", timeline.notReady),
            ("PostgreSQL restarted", timeline.back), ("reconnected: /readyz 200", timeline.reconnected), ("a new job succeeded", timeline.newJobDone),
        ]
        var lines = ["PostgreSQL fault timeline"]
        let origin = timeline.halting ?? Date()
        for (name, time) in events {
            let stamp = time.map { $0.formatted(.iso8601.time(includingFractionalSeconds: true)) } ?? "-"
            let offset = time.map { String(format: "%+8.3f s", $0.timeIntervalSince(origin)) } ?? ""
            lines.append("  \(stamp)  \(offset)  \(name)")
        }
        lines.append(
            "  jobs: \(timeline.accepted) accepted, \(timeline.finished) succeeded, \(timeline.stored) stored; "
                + "\(timeline.refused) submissions refused (the slowest in " + String(format: "%.1f ms", timeline.slowestRefusal.seconds * 1000) + ")")
        Swift.print(lines.joined(separator: "\n"))
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
