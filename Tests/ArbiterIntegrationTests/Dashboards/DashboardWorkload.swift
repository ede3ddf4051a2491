import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Work that moves every metric family a dashboard shows: jobs that succeed, fail and are retried,
/// die, are cancelled, and whose lease expires; consents granted, refused, revoked and expired, and a
/// credential released; a worker that goes offline and one that stops cleanly; an authentication
/// failure; rules whose alerts pause (a breaker opens), throttle, shed, drain and page, notified to an
/// Alertmanager; cluster mode (one replica, which leads, with Redis); remote write to a receiver (the Prometheus that also scrapes the daemon, so only one
/// series, labelled `source`, is written: the rest it has already).
struct DashboardWorkload {
    /// The daemon's configuration, with `rules` the rule file, `alertmanager` and `receiver` base URLs.
    static func config(rules: String, alertmanager: String, receiver: String, redis: String) -> String {
        """
        cluster:
          redis: \(redis)
          replica_id: dashboards
        tsdb:
          sample_interval: 1s
        rules:
          evaluation_interval: 1s
        rule_files: [\(rules)]
        alerting:
          alertmanagers: [\(alertmanager)]
          resend_delay: 2s
        metrics:
          public: true
        workers:
          timeout: 5s
          lease_timeout: 5s
        job_types:
          build: {max_attempts: 3, backoff: {initial: 100ms, max: 200ms}}
          flaky: {max_attempts: 1}
          deploy: {requires_consent: deploy.run}
          email: {retention: {cancelled: 1s}}
        retention:
          interval: 1s
        remote_write:
          - url: \(receiver)/api/v1/write
            name: receiver
            external_labels: {source: arbiter}
            write_relabel_configs: [{source_labels: [__name__], regex: arbiter_build_info, action: keep}]
            queue_config: {min_backoff: 50ms, max_backoff: 1s}
        """
    }

    /// One alert per action: `flaky` failing pauses it (on the count itself: its failures come together,
    /// before the series' first sample, so a rate would stay 0); the others hold from the first
    /// submission on, after the first scrape, so that Prometheus sees their counters move.
    static let rules = """
        groups:
          - name: dashboards
            interval: 1s
            rules:
              - record: job_type:arbiter_job_attempts:rate10s
                expr: sum by (job_type) (rate(arbiter_job_attempts_total[10s]))
              - alert: FlakyFailing
                expr: sum by (job_type) (arbiter_job_attempts_failed_total{job_type="flaky"}) > 0
                labels: {severity: warning, arbiter_action: pause}
              - alert: BuildThrottled
                expr: sum(arbiter_jobs_submitted_total) > 0
                labels: {severity: info, arbiter_action: throttle, arbiter_rate: "1000/s", job_type: build}
              - alert: ArchiveShed
                expr: sum(arbiter_jobs_submitted_total) > 0
                labels: {severity: info, arbiter_action: shed, job_type: archive}
              - alert: IdleDrained
                expr: sum(arbiter_jobs_submitted_total) > 0
                labels: {severity: info, arbiter_action: drain, worker_id: idle}
              - alert: OnCallPaged
                expr: sum(arbiter_jobs_submitted_total) > 0
                labels: {severity: info, arbiter_action: page}
        """

    let server: ArbiterServer
    let directory: TemporaryDirectory
    let api = JobsAPITests()

    func submit(_ body: String) async throws -> String {
        let (status, job) = try await self.api.post(self.server, "/api/v1/jobs", body)
        #expect(status == 201, "\(body): \(job)")
        return job["id"] as? String ?? ""
    }

    func consent(user: String, expiresAt: String? = nil) async throws -> String {
        let expiry = expiresAt.map { #","expires_at":"\#($0)""# } ?? ""
        let (status, consent) = try await self.api.post(
            self.server, "/api/v1/consents",
            #"{"user_id":"\#(user)","scope":"deploy.run","evidence":{"recorded_by":"test","policy_version":"1","source":"test"}\#(expiry)}"#)
        #expect(status == 201, "\(consent)")
        return consent["id"] as? String ?? ""
    }

    func waitForState(_ id: String, _ states: Set<String>) async throws {
        try await Polling.until("job \(id) reaches \(states.sorted())", timeout: .seconds(60)) {
            let (_, job) = try await self.api.get(self.server, "/api/v1/jobs/\(id)")
            return states.contains(job["state"] as? String ?? "")
        }
    }

    /// Runs the work and waits until what it set off has happened.
    func run() async throws {
        // Workers: one process that runs build (its first attempt fails), flaky (always fails) and
        // deploy (needs the credential); one HTTP worker that leases and goes quiet; one that never
        // says anything after registering.
        let flag = self.directory.file("build-failed-once")
        let worker = try WorkerProcess(
            server: self.server, id: "runner",
            exec: ["build": "echo built > \"$ARBITER_ARTIFACTS_DIR/build.log\"; test -e \(flag) || { touch \(flag); exit 1; }", "flaky": "exit 1", "deploy": #"test -n "$ARBITER_CREDENTIAL""#],
            concurrency: 2)
        for (id, types) in [("poller", #"["email"]"#), ("idle", #"["archive"]"#)] {
            let (status, body) = try await self.api.post(self.server, "/api/v1/workers/register", #"{"id":"\#(id)","capabilities":\#(types)}"#)
            #expect(status == 200 || status == 201, "\(body)")
        }

        var builds: [String] = []
        for index in 0..<4 { builds.append(try await self.submit(#"{"type":"build","payload":{"n":\#(index)}}"#)) }
        // One of them a dry run, for the dry-run panel.
        builds.append(try await self.submit(#"{"type":"build","payload":{"n":4},"dry_run":true}"#))
        var flaky: [String] = []
        for index in 0..<3 { flaky.append(try await self.submit(#"{"type":"flaky","payload":{"n":\#(index)}}"#)) }

        // Email: one cancelled while queued, one leased over HTTP and left to expire.
        let cancelled = try await self.submit(#"{"type":"email","payload":{"to":"a"}}"#)
        let (cancelStatus, _) = try await self.api.post(self.server, "/api/v1/jobs/\(cancelled)/cancel", #"{"reason":"not needed"}"#)
        #expect(cancelStatus == 200)
        let expiring = try await self.submit(#"{"type":"email","payload":{"to":"b"}}"#)
        let (_, leased) = try await self.api.post(self.server, "/api/v1/workers/poller/lease?wait=5s", "")
        #expect((leased["jobs"] as? [[String: Any]])?.first?["id"] as? String == expiring, "\(leased)")

        // Consent: granted with a credential and released in an assignment; refused for a user
        // without one; revoked; one that expires.
        let granted = try await self.consent(user: "u1")
        let credential = try await self.server.send(
            "/api/v1/users/u1/credentials/deploy.run", method: .PUT, headers: [("Content-Type", "application/json")],
            body: Array(#"{"secret":"s3cret"}"#.utf8))
        #expect(credential.status == 204)
        let deploy = try await self.submit(#"{"type":"deploy","payload":{},"user_id":"u1"}"#)
        let (refused, _) = try await self.api.post(self.server, "/api/v1/jobs", #"{"type":"deploy","payload":{},"user_id":"u2"}"#)
        #expect(refused == 403)
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3))
        _ = try await self.consent(user: "u3", expiresAt: soon)

        // The console: a session, and a job cancelled from it.
        let session = try #require(try await self.server.consoleSignIn(self.server.adminToken))
        let fromConsole = try await self.submit(#"{"type":"email","payload":{"to":"c"}}"#)
        #expect(try await self.server.consolePost("/console/jobs/\(fromConsole)/cancel", session).status == 303)

        let unauthenticated = try await self.server.send("/api/v1/jobs", token: "not-a-token")
        #expect(unauthenticated.status == 401)

        for id in builds + [deploy] { try await self.waitForState(id, ["succeeded"]) }
        for id in flaky { try await self.waitForState(id, ["dead"]) }
        try await self.waitForState(expiring, ["queued", "scheduled"])
        let (revoked, _) = try await self.api.post(self.server, "/api/v1/consents/\(granted)/revoke", "{}")
        #expect(revoked == 200)

        // The runner stops cleanly; the HTTP workers fall silent and go offline.
        await worker.stop()
        try await Polling.until("the silent workers are offline", timeout: .seconds(60)) {
            let (_, workers) = try await self.api.get(self.server, "/api/v1/workers")
            let offline = (workers["workers"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "offline" }
            return Set(offline.compactMap { $0["id"] as? String }).isSuperset(of: ["poller", "idle"])
        }
        for (name, labels) in [
            ("arbiter_scheduler_actions_total", ["action": "pause", "transition": "opened"]),
            ("arbiter_consent_expirations_total", ["scope": "deploy.run"]), ("arbiter_worker_stops_total", ["worker_id": "runner"]),
        ] {
            var seen: [String] = []
            do {
                try await Polling.until("\(name) \(labels) counts", timeout: .seconds(60)) {
                    let samples = ExpositionSamples.parse(try await self.server.get("/metrics").text).filter { $0.name == name }
                    seen = samples.map { "\($0.labels) \($0.value)" }
                    return samples.contains { $0.labels == labels && Double($0.value) ?? 0 > 0 }
                }
            } catch {
                let (_, alerts) = try await self.api.get(self.server, "/api/v1/alerts")
                throw TestingError("\(error); \(name) is \(seen); alerts: \(alerts)")
            }
        }
    }
}
