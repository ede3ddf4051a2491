import ArbiterCore
import ArbiterTesting
import Foundation
import Testing

/// `arbiter worker --exec` over the WebSocket channel: assignments, pause, concurrency and rate limits,
/// cancellation delivered to a running command, and fencing of a worker that was paused past its lease.
@Suite struct WorkerChannelTests {
    let api = JobsAPITests()

    func submit(_ server: ArbiterServer, _ type: String, count: Int, extra: String = "") async throws -> [String] {
        let jobs = (0..<count).map { #"{"type":"\#(type)","payload":{"n":\#($0)}\#(extra)}"# }.joined(separator: ",")
        let (status, body) = try await self.api.post(server, "/api/v1/jobs/batch", #"{"jobs":[\#(jobs)]}"#)
        #expect(status == 201, "\(body)")
        return ((body["jobs"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    func states(_ server: ArbiterServer, type: String) async throws -> [String: Int] {
        try await JobCounts.fetch(server, type: type)
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        try await Polling.until(what, timeout: timeout, condition)
    }

    @Test func workerRunsJobsAndReportsResultsAndFailures() async throws {
        try await ArbiterServer.with { server in
            let worker = try WorkerProcess(
                server: server, id: "w1", exec: ["echo": "cat", "boom": "echo 'disk full' >&2; exit 3"], concurrency: 2)
            defer { Task { await worker.stop() } }
            let echo = try await self.submit(server, "echo", count: 3)
            let boom = try await self.submit(server, "boom", count: 1, extra: #","max_attempts":1"#)
            try await self.waitUntil("all four jobs are finished") {
                let echoDone = try await self.states(server, type: "echo")["succeeded"] == 3
                let boomDead = try await self.states(server, type: "boom")["dead"] == 1
                return echoDone && boomDead
            }
            let (_, done) = try await self.api.get(server, "/api/v1/jobs/\(echo[0])")
            #expect((done["result"] as? [String: Any])?["n"] as? Int == 0, "the result is the command's stdout JSON")
            let (_, dead) = try await self.api.get(server, "/api/v1/jobs/\(boom[0])")
            #expect(dead["last_error"] as? String == "the command exited with status 3: disk full")
            let (_, workerBody) = try await self.api.get(server, "/api/v1/workers/w1")
            #expect(workerBody["capabilities"] as? [String] == ["boom", "echo"] && workerBody["concurrency"] as? Int == 2)

            // The job metrics count exactly what happened; the gauges follow at the next clock tick (the
            // expectations below say which one differs if they never do).
            var metrics = ""
            try? await Polling.until("the gauges show the idle worker", timeout: .seconds(15)) {
                metrics = try await server.get("/metrics").text
                let settled: [(String, [String: String], String)] = [
                    ("arbiter_worker_slots", ["state": "free"], "2"), ("arbiter_worker_slots", ["state": "busy"], "0"),
                    ("arbiter_workers", ["state": "idle"], "1"), ("arbiter_job_oldest_queued_age_seconds", ["job_type": "echo"], "0"),
                ]
                return settled.allSatisfy { ExpositionSamples.value(in: metrics, $0.0, $0.1) == $0.2 }
            }
            func value(_ name: String, _ labels: [String: String] = [:]) -> String? { ExpositionSamples.value(in: metrics, name, labels) }
            #expect(value("arbiter_job_attempts_total", ["job_type": "echo"]) == "3")
            #expect(value("arbiter_job_wait_seconds_count", ["job_type": "echo"]) == "3")
            #expect(value("arbiter_job_run_seconds_count", ["job_type": "echo", "outcome": "succeeded"]) == "3")
            #expect(value("arbiter_job_run_seconds_count", ["job_type": "boom", "outcome": "failed"]) == "1")
            #expect(value("arbiter_jobs_finished_total", ["job_type": "boom", "outcome": "dead"]) == "1")
            #expect(value("arbiter_dispatch_latency_seconds_count") == "4")
            #expect(value("arbiter_job_oldest_queued_age_seconds", ["job_type": "echo"]) == "0")
            #expect(value("arbiter_worker_slots", ["state": "free"]) == "2")
            #expect(value("arbiter_worker_slots", ["state": "busy"]) == "0")
            #expect(value("arbiter_workers", ["state": "idle"]) == "1")
            #expect(Int(value("arbiter_store_commits_total") ?? "0") ?? 0 > 0)
        }
    }

    @Test func pauseStopsDispatchWithinOneTickAndResumeRestartsIt() async throws {
        try await ArbiterServer.with { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["mail": "cat"], concurrency: 4)
            defer { Task { await worker.stop() } }
            try await worker.waitForLog { $0["msg"] == "connected" }
            let (paused, _) = try await self.api.post(server, "/api/v1/job-types/mail/pause", "")
            #expect(paused == 200)
            _ = try await self.submit(server, "mail", count: 5)
            // One scheduling tick is 1 s; wait longer and nothing may have started.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await self.states(server, type: "mail")["queued"] == 5)
            let (resumed, _) = try await self.api.post(server, "/api/v1/job-types/mail/resume", "")
            #expect(resumed == 200)
            let started = ContinuousClock.now
            try await self.waitUntil("the paused jobs run after resume") { try await self.states(server, type: "mail")["succeeded"] == 5 }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func concurrencyLimitHoldsAcrossWorkers() async throws {
        let scratch = try TemporaryDirectory(prefix: "overlap")
        defer { scratch.remove() }
        let log = scratch.file("runs.log")
        // Each run appends its start and end (nanoseconds); overlaps are counted afterwards.
        let handler = "echo \"start $(date +%s%N)\" >> \(log); sleep 0.2; echo \"end $(date +%s%N)\" >> \(log)"
        try await ArbiterServer.with(config: "job_types:\n  limited:\n    concurrency: 2\n") { server in
            let workers = try (1...3).map { try WorkerProcess(server: server, id: "w\($0)", exec: ["limited": handler], concurrency: 3) }
            defer { Task { for worker in workers { await worker.stop() } } }
            _ = try await self.submit(server, "limited", count: 12)
            try await self.waitUntil("12 jobs are done", timeout: .seconds(60)) { try await self.states(server, type: "limited")["succeeded"] == 12 }
        }
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int, Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let at = Int(parts[1]) else { return nil }
            return (at, parts[0] == "start" ? 1 : -1)
        }
        // Ends sort before starts at the same instant, so touching intervals do not count as overlap.
        var running = 0
        var most = 0
        for event in events.sorted(by: { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }) {
            running += event.1
            most = max(most, running)
        }
        #expect(events.count == 24)
        #expect(most <= 2, "a concurrency limit of 2 was exceeded: \(most) ran at once")
        #expect(most == 2, "the limit should still allow 2 at once")
    }

    @Test func rateLimitSpacesStarts() async throws {
        try await ArbiterServer.with(config: "job_types:\n  metered:\n    rate: 5/s\n") { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["metered": "true"], concurrency: 20)
            defer { Task { await worker.stop() } }
            try await worker.waitForLog { $0["msg"] == "connected" }
            let ids = try await self.submit(server, "metered", count: 15)
            try await self.waitUntil("15 jobs are done", timeout: .seconds(30)) { try await self.states(server, type: "metered")["succeeded"] == 15 }
            // When each attempt was leased, as the server recorded it: what the rate limit spaces. (The
            // command's own clock would add its process's start-up, which a loaded machine stretches
            // for the first burst more than for the last jobs, shortening the span.)
            var starts: [Double] = []
            for id in ids {
                let (_, job) = try await self.api.get(server, "/api/v1/jobs/\(id)")
                let started = ((job["attempts"] as? [[String: Any]])?.first?["started_at"] as? String).flatMap { try? RFC3339.milliseconds(from: $0) }
                if let started { starts.append(Double(started) / 1000) }
            }
            // A full bucket lets 5 go at once; the other 10 need 2 s of refill at 5/s.
            let span = (starts.max() ?? 0) - (starts.min() ?? 0)
            #expect(starts.count == 15)
            #expect(span >= 1.7, "15 starts at 5/s took only \(span) s")
            #expect(span < 6, "15 starts at 5/s took \(span) s")
        }
    }

    @Test func cancellingARunningJobStopsItsCommand() async throws {
        let scratch = try TemporaryDirectory(prefix: "cancel")
        defer { scratch.remove() }
        let pidFile = scratch.file("pid")
        try await ArbiterServer.with { server in
            let worker = try WorkerProcess(server: server, id: "w1", exec: ["slow": "echo $$ > \(pidFile); sleep 60"])
            defer { Task { await worker.stop() } }
            let id = try await self.submit(server, "slow", count: 1)[0]
            try await self.waitUntil("the command is running") { FileManager.default.fileExists(atPath: pidFile) }
            let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            let (status, body) = try await self.api.post(server, "/api/v1/jobs/\(id)/cancel", #"{"reason":"operator said stop"}"#)
            #expect(status == 200 && body["state"] as? String == "cancelled")
            // Well before the 60 s the command would otherwise run.
            try await self.waitUntil("the command is gone", timeout: .seconds(20)) { kill(pid, 0) != 0 }
            try await worker.waitForLog { $0["msg"] == "job cancelled by the server" && $0["reason"] == "operator said stop" }
            let (_, workerBody) = try await self.api.get(server, "/api/v1/workers/w1")
            #expect(workerBody["leased_jobs"] as? Int == 0)
        }
    }

    @Test func aWorkerPausedPastItsLeaseCannotOverwriteTheNextAttempt() async throws {
        try await ArbiterServer.with(config: "workers:\n  lease_timeout: 2s\n  timeout: 3s\n") { server in
            // Long enough that a loaded machine, whose answers can take seconds, still sees the job
            // running before the command ends (the first worker's late report or its being told to
            // stop comes after the second worker has finished either way).
            let first = try WorkerProcess(server: server, id: "first", exec: ["job": "sleep 10; echo '\"first\"'"])
            defer { Task { await first.stop() } }
            try await first.waitForLog { $0["msg"] == "connected" }
            let id = try await self.submit(server, "job", count: 1, extra: #","max_attempts":3"#)[0]
            try await self.waitUntil("the first worker holds the job") {
                let (_, job) = try await self.api.get(server, "/api/v1/jobs/\(id)")
                return job["state"] as? String == "running"
            }
            first.process.signal(SIGSTOP)
            // Its heartbeats stop; the lease runs out and the job goes back to the queue for another worker.
            let second = try WorkerProcess(server: server, id: "second", exec: ["job": "echo '\"second\"'"])
            defer { Task { await second.stop() } }
            try await self.waitUntil("the second worker completes the job", timeout: .seconds(20)) {
                let (_, job) = try await self.api.get(server, "/api/v1/jobs/\(id)")
                return job["state"] as? String == "succeeded"
            }
            first.process.signal(SIGCONT)
            // Its late report is refused as stale, or (the notice having reached it first) it was told
            // its lease ran out and stopped the attempt without reporting it.
            try await first.waitForLog { line in
                let refused = line["msg"] == "the server refused a message" && line["code"] == "stale_lease"
                let told = line["msg"] == "job cancelled by the server" && line["reason"] == "lease expired"
                return (refused || told) && line["job_id"] == id
            }
            let (_, job) = try await self.api.get(server, "/api/v1/jobs/\(id)")
            #expect(job["result"] as? String == "second")
            let attempts = (job["attempts"] as? [[String: Any]]) ?? []
            #expect(attempts.compactMap { $0["worker_id"] as? String } == ["first", "second"])
            #expect(attempts.compactMap { $0["outcome"] as? String } == ["lease_expired", "succeeded"])
        }
    }
}
