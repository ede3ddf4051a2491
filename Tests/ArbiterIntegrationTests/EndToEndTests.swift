import ArbiterTesting
import Foundation
import Testing

/// The whole engine under failure: 4 `arbiter worker --exec` processes run 5,000 jobs whose handler
/// fails one time in five, while a worker is SIGKILLed and later the daemon itself is SIGKILLed and
/// restarted on the same store (the same file, or the same PostgreSQL database). Nothing may be lost or
/// finished twice, and the audit chain verifies.
@Suite(.heavy) struct EndToEndTests {
    let api = JobsAPITests()
    static let jobs = 5000
    static let maxAttempts = 4

    /// Fails about 20% of runs (51 of 256 byte values).
    static let handler = """
        cat > /dev/null
        n=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
        if [ "$n" -lt 51 ]; then echo "injected failure" >&2; exit 1; fi
        echo '{"ok":true}'
        """

    func finished(_ server: ArbiterServer) async throws -> Int {
        let counts = try await JobCounts.fetch(server, type: "e2e")
        return (counts["succeeded"] ?? 0) + (counts["dead"] ?? 0) + (counts["cancelled"] ?? 0)
    }

    func waitForFinished(_ server: ArbiterServer, atLeast count: Int, timeout: Duration) async throws {
        try await Polling.until("\(count) jobs are finished", timeout: timeout, interval: .milliseconds(200)) {
            try await self.finished(server) >= count
        }
    }

    // One store at a time: each run keeps a loaded machine busy on its own.
    @Test(.serialized, .timeLimit(.minutes(10)), arguments: StoreKind.available)
    func fiveThousandJobsSurviveAWorkerKillAndADaemonKill(store kind: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "e2e")
        defer { directory.remove() }
        let script = try directory.write("handler.sh", Self.handler)
        let data = directory.file("data")
        let port = try FreePort.next()
        let config = """
            workers:
              lease_timeout: 5s
              timeout: 3s
            job_types:
              e2e:
                max_attempts: \(Self.maxAttempts)
                backoff: { initial: 50ms, max: 200ms }
            """
        var server = try await ArbiterServer.start(config: config, dataDirectory: data, listen: "127.0.0.1:\(port)", store: kind)
        let store = server.store
        let workers = try (1...4).map {
            try WorkerProcess(server: server, id: "w\($0)", exec: ["e2e": "sh \(script)"], concurrency: 4)
        }
        do {
            for batch in 0..<(Self.jobs / 500) {
                let jobs = (0..<500).map { #"{"type":"e2e","payload":{"n":\#(batch * 500 + $0)}}"# }.joined(separator: ",")
                let (status, body) = try await self.api.post(server, "/api/v1/jobs/batch", #"{"jobs":[\#(jobs)]}"#)
                try #require(status == 201, "\(body)")
            }
            try await self.waitForFinished(server, atLeast: Self.jobs / 4, timeout: .seconds(180))
            workers[0].process.signal(SIGKILL)
            try await self.waitForFinished(server, atLeast: Self.jobs / 2, timeout: .seconds(180))
            server.process.signal(SIGKILL)
            _ = await server.process.waitForExit(timeout: .seconds(10))
            server.directory.remove()
            server = try await ArbiterServer.start(config: config, dataDirectory: data, listen: "127.0.0.1:\(port)", store: kind)
            try await self.waitForFinished(server, atLeast: Self.jobs, timeout: .seconds(300))

            // Counts per state from the API equal the gauges once the clock has refreshed them (the
            // expectations below say which state differs if they never do).
            var counts: [String: Int] = [:]
            var metrics = ""
            try? await Polling.until("the arbiter_jobs gauges equal the API's counts", timeout: .seconds(30), interval: .milliseconds(250)) {
                counts = try await JobCounts.fetch(server, type: "e2e")
                metrics = try await server.get("/metrics").text
                return counts.allSatisfy { ExpositionSamples.value(in: metrics, "arbiter_jobs", ["job_type": "e2e", "state": $0.key]) == String($0.value) }
            }
            for (state, count) in counts {
                #expect(ExpositionSamples.value(in: metrics, "arbiter_jobs", ["job_type": "e2e", "state": state]) == String(count), "state \(state)")
            }
            #expect((counts["succeeded"] ?? 0) + (counts["dead"] ?? 0) == Self.jobs, "\(counts)")

            // The audit chain the killed daemon was writing verifies whole, and every job's finish is
            // in it once.
            let verification = try JSONSerialization.jsonObject(with: Data(try await server.get("/api/v1/audit/verify").body)) as? [String: Any]
            #expect(verification?["intact"] as? Bool == true, "\(verification ?? [:])")
            let successes = try await store.count("SELECT COUNT(*) FROM audit_logs WHERE action = 'job.succeeded'")
            let distinct = try await store.count("SELECT COUNT(DISTINCT subject_id) FROM audit_logs WHERE action = 'job.succeeded'")
            #expect(successes == counts["succeeded"] ?? 0 && distinct == successes, "\(successes) successes audited (\(distinct) jobs) for \(counts)")
        } catch {
            for worker in workers { await worker.stop() }
            await server.stop()
            throw error
        }
        for worker in workers { await worker.stop() }
        await server.stop()
        defer { store.drop() }

        // The store itself: every job finished once, within its attempts.
        let states = try await store.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        #expect(states.allSatisfy { ["succeeded", "dead"].contains($0[0]) }, "\(states)")
        let twice = try await store.rows("SELECT job_id FROM job_attempts WHERE outcome = 'succeeded' GROUP BY job_id HAVING COUNT(*) > 1")
        #expect(twice.isEmpty, "jobs completed twice: \(twice.prefix(5))")
        let succeededWithout = try await store.rows(
            "SELECT id FROM jobs WHERE state = 'succeeded' AND NOT EXISTS (SELECT 1 FROM job_attempts a WHERE a.job_id = jobs.id AND a.outcome = 'succeeded')")
        #expect(succeededWithout.isEmpty)
        let overLimit = try await store.rows("SELECT id, attempt FROM jobs WHERE attempt > max_attempts OR attempt < 1")
        #expect(overLimit.isEmpty, "attempts outside 1...\(Self.maxAttempts): \(overLimit.prefix(5))")
        let deadEarly = try await store.rows("SELECT id, attempt FROM jobs WHERE state = 'dead' AND attempt != max_attempts")
        #expect(deadEarly.isEmpty, "dead before the last attempt: \(deadEarly.prefix(5))")
        let attemptsMatch = try await store.rows(
            "SELECT id FROM jobs WHERE attempt != (SELECT COUNT(*) FROM job_attempts a WHERE a.job_id = jobs.id)")
        #expect(attemptsMatch.isEmpty, "attempt counters that disagree with the attempt history: \(attemptsMatch.prefix(5))")
        let unfinishedAttempts = try await store.rows("SELECT job_id, attempt FROM job_attempts WHERE finished_at IS NULL")
        #expect(unfinishedAttempts.isEmpty)
        let killed = try await store.count("SELECT COUNT(*) FROM job_attempts WHERE outcome = 'lease_expired'")
        #expect(killed >= 1, "the killed worker's jobs were rescued by lease expiry")
    }
}
