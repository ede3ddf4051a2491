import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Consent and the credential vault end to end, with a real `arbiter worker` whose command echoes the
/// credential it was given (`$ARBITER_CREDENTIAL`) as the job's result; on SQLite and on PostgreSQL.
@Suite struct ConsentEndToEndTests {
    typealias JSON = [String: Any]
    static let config = "job_types:\n  fetch_odds:\n    requires_consent: odds.read\n"
    static let echo = #"printf '"%s"' "$ARBITER_CREDENTIAL""#

    func json(_ response: HTTPProbe.Response) -> JSON {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? JSON ?? [:]
    }

    func grant(_ server: ArbiterServer, user: String, expiresAt: String? = nil) async throws -> String {
        let expiry = expiresAt.map { #","expires_at":"\#($0)""# } ?? ""
        let response = try await server.post(
            "/api/v1/consents",
            json: #"{"user_id":"\#(user)","scope":"odds.read","evidence":{"recorded_by":"signup-form","policy_version":"2026-11","source":"web"}\#(expiry)}"#)
        #expect(response.status == 201, "\(response.text)")
        return try #require(self.json(response)["id"] as? String)
    }

    func submit(_ server: ArbiterServer, user: String?, runAt: String? = nil) async throws -> HTTPProbe.Response {
        var fields = [#""type":"fetch_odds""#, #""payload":{"match":42}"#]
        if let user { fields.append(#""user_id":"\#(user)""#) }
        if let runAt { fields.append(#""run_at":"\#(runAt)""#) }
        return try await server.post("/api/v1/jobs", json: "{" + fields.joined(separator: ",") + "}")
    }

    func job(_ server: ArbiterServer, _ id: String) async throws -> JSON {
        self.json(try await server.get("/api/v1/jobs/\(id)"))
    }

    func waitForState(_ server: ArbiterServer, _ id: String, _ state: String) async throws -> JSON {
        var last: JSON = [:]
        try await Polling.until("job \(id) is \(state)", timeout: .seconds(15)) {
            last = try await self.job(server, id)
            return last["state"] as? String == state
        }
        return last
    }

    @Test(arguments: StoreKind.available)
    func consentGatesJobsAndTheCredentialTravelsOnlyWhileItHolds(store: StoreKind) async throws {
        try await ArbiterServer.with(config: Self.config, store: store) { server in
            // Refused before consent: without a user 400, without consent 403 naming user and scope.
            let anonymous = try await self.submit(server, user: nil)
            #expect(anonymous.status == 400 && anonymous.text.contains(#""field":"user_id""#))
            let refused = try await self.submit(server, user: "u1")
            #expect(refused.status == 403 && refused.text.contains("consent_required") && refused.text.contains("u1")
                && refused.text.contains("odds.read"))
            let noConsentCredential = try await server.send(
                "/api/v1/users/u1/credentials/odds.read", method: .PUT, body: Array(#"{"secret":"x"}"#.utf8))
            #expect(noConsentCredential.status == 403)

            let consent = try await self.grant(server, user: "u1")
            let stored = try await server.send(
                "/api/v1/users/u1/credentials/odds.read", method: .PUT, body: Array(#"{"secret":"session-7f3a"}"#.utf8))
            #expect(stored.status == 204)

            let worker = try WorkerProcess(server: server, id: "w1", exec: ["fetch_odds": Self.echo], concurrency: 2)
            defer { Task { await worker.stop() } }
            let accepted = try await self.submit(server, user: "u1")
            #expect(accepted.status == 201)
            let done = try await self.waitForState(server, try #require(self.json(accepted)["id"] as? String), "succeeded")
            #expect(done["result"] as? String == "session-7f3a", "the assignment carried the credential")

            // Queued work while dispatch is paused, and work scheduled for later.
            #expect(try await server.post("/api/v1/job-types/fetch_odds/pause", json: "{}").status == 200)
            let queued = try #require(self.json(try await self.submit(server, user: "u1"))["id"] as? String)
            let scheduled = try #require(self.json(try await self.submit(server, user: "u1", runAt: "2030-01-01T00:00:00Z"))["id"] as? String)

            let revoked = self.json(try await server.post("/api/v1/consents/\(consent)/revoke", json: "{}"))
            #expect(revoked["status"] as? String == "revoked")
            #expect(Set(revoked["cancelled_jobs"] as? [String] ?? []) == [queued, scheduled])
            for id in [queued, scheduled] {
                let job = try await self.job(server, id)
                #expect(job["state"] as? String == "cancelled" && job["cancel_reason"] as? String == "consent_revoked")
            }
            #expect(try await self.submit(server, user: "u1").status == 403)
            // The credential is gone from the store itself, not only from the API.
            await #expect(try server.store.count("SELECT COUNT(*) FROM credentials") == 0)

            // Consent given again: work runs, but no assignment carries the deleted credential.
            _ = try await self.grant(server, user: "u1")
            #expect(try await server.post("/api/v1/job-types/fetch_odds/resume", json: "{}").status == 200)
            let again = try #require(self.json(try await self.submit(server, user: "u1"))["id"] as? String)
            #expect(try await self.waitForState(server, again, "succeeded")["result"] as? String == "")

            // The secret is in no log line and no audit entry.
            let audit = try await server.get("/api/v1/audit?limit=1000").text
            for text in [server.process.stderr, worker.process.stderr, audit] { #expect(!text.contains("session-7f3a")) }
            #expect(audit.contains(#""credential":"released""#) && audit.contains("credential.deleted") && audit.contains("consent.revoked"))
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_credential_releases_total{scope="odds.read"} 1"#))
            #expect(metrics.contains(#"arbiter_consent_checks_total{scope="odds.read",result="denied"}"#))
            #expect(metrics.contains(#"arbiter_consent_revocations_total{scope="odds.read"} 1"#))
        }
    }

    @Test(arguments: StoreKind.available)
    func revocationStopsARunningJobAndExpiryCancelsWhenItComes(store: StoreKind) async throws {
        try await ArbiterServer.with(config: Self.config, store: store) { server in
            let consent = try await self.grant(server, user: "u2")
            let pidFile = server.directory.file("odds.pid")
            let worker = try WorkerProcess(server: server, id: "w2", exec: ["fetch_odds": "echo $$ > \(pidFile); sleep 60"])
            defer { Task { await worker.stop() } }
            let running = try #require(self.json(try await self.submit(server, user: "u2"))["id"] as? String)
            _ = try await self.waitForState(server, running, "running")
            try await Polling.until("the command started", timeout: .seconds(10)) { FileManager.default.fileExists(atPath: pidFile) }
            _ = try await server.post("/api/v1/consents/\(consent)/revoke", json: "{}")
            let cancelled = try await self.job(server, running)
            #expect(cancelled["state"] as? String == "cancelled" && cancelled["cancel_reason"] as? String == "consent_revoked")
            let pid = try #require(Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
            try await Polling.until("the worker killed the command", timeout: .seconds(10)) { kill(pid, 0) != 0 }

            // A consent that expires in a few seconds (room for a loaded machine to submit before it
            // does): its queued job is cancelled when it does.
            let expiresAt = RFC3339Text.string(Date(timeIntervalSinceNow: 8))
            _ = try await self.grant(server, user: "u3", expiresAt: expiresAt)
            #expect(try await server.post("/api/v1/job-types/fetch_odds/pause", json: "{}").status == 200)
            let waiting = try #require(self.json(try await self.submit(server, user: "u3"))["id"] as? String)
            let expired = try await self.waitForState(server, waiting, "cancelled")
            #expect(expired["cancel_reason"] as? String == "consent_expired")
            // Counted once the expiry's transaction has committed: a moment after the job reads cancelled.
            try await Polling.until("the expiry is counted", timeout: .seconds(10)) {
                try await server.get("/metrics").text.contains(#"arbiter_consent_expirations_total{scope="odds.read"} 1"#)
            }
        }
    }
}

enum RFC3339Text {
    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
