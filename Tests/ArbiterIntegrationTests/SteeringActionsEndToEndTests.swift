import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Throttle and drain from Arbiter's own rules, with real worker processes. Each rule fires while
/// the unrelated job type `switch` is paused, so the test turns it on and off through the API.
@Suite(.serialized) struct SteeringActionsEndToEndTests {
    static func config(rules: String) -> String {
        SecondScaleConfig.yaml(ruleFiles: [rules], jobTypes: ["build", "switch"])
    }

    static func rule(_ name: String, labels: String) -> String {
        """
        groups:
          - name: steering
            interval: 1s
            rules:
              - alert: \(name)
                expr: max(arbiter_job_type_paused{job_type="switch"}) == 1
                labels: {\(labels)}
        """
    }

    func submit(_ server: ArbiterServer, count: Int) async throws {
        var left = count
        while left > 0 {
            let batch = min(left, 100)
            let jobs = Array(repeating: #"{"type":"build","payload":{}}"#, count: batch).joined(separator: ",")
            let response = try await server.post("/api/v1/jobs/batch", json: #"{"jobs":[\#(jobs)]}"#)
            #expect(response.status == 201 || response.status == 200, "\(response.text)")
            left -= batch
        }
    }

    func actions(_ server: ArbiterServer) async throws -> [[String: Any]] {
        let response = try await server.get("/api/v1/actions")
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["actions"] as? [[String: Any]] ?? []
    }

    func waitForAction(_ server: ArbiterServer, _ action: String, active: Bool) async throws {
        try await Polling.until("\(action) is \(active ? "active" : "released")", timeout: .seconds(30), interval: .milliseconds(100)) {
            try await self.actions(server).contains { $0["action"] as? String == action } == active
        }
    }

    @Test("throttle holds the measured dispatch rate within 10% of its cap over 30 s")
    func throttleHoldsTheRate() async throws {
        let directory = try TemporaryDirectory(prefix: "throttle")
        defer { directory.remove() }
        let rules = try directory.write("rules.yml", Self.rule("BuildThrottled", labels: #"arbiter_action: throttle, job_type: build, arbiter_rate: "8/s""#))
        try await ArbiterServer.with(config: Self.config(rules: rules)) { server in
            let worker = try WorkerProcess(server: server, id: "fast", exec: ["build": "true"], concurrency: 16)
            defer { Task { await worker.stop() } }
            #expect(try await server.post("/api/v1/job-types/switch/pause", json: "{}").status == 200)
            try await self.waitForAction(server, "throttle", active: true)
            try await self.submit(server, count: 400)
            // After the bucket's first burst (its 8 tokens) and a second of throttled pace, count leases
            // over 30 s from the audit log.
            try await Polling.until("16 jobs are leased", timeout: .seconds(30), interval: .milliseconds(100)) {
                let counts = try await JobCounts.fetch(server, type: "build")
                return (counts["running"] ?? 0) + (counts["succeeded"] ?? 0) >= 16
            }
            let start = Date().timeIntervalSince1970
            try await Task.sleep(for: .seconds(30))
            let end = start + 30
            let scenario = Scenario(server: server, directory: directory)
            let leases = try await scenario.audit("action=job.leased").map(\.at).filter { $0 >= start && $0 < end }
            let rate = Double(leases.count) / 30
            print("throttle at 8/s: \(leases.count) leases in 30 s = \(String(format: "%.2f", rate))/s")
            #expect(abs(rate - 8) <= 0.8, "measured \(rate)/s against a cap of 8/s")

            // Released, the backlog goes at the worker's own pace.
            #expect(try await server.post("/api/v1/job-types/switch/resume", json: "{}").status == 200)
            try await self.waitForAction(server, "throttle", active: false)
            try await Polling.until("the backlog drains", timeout: .seconds(30), interval: .milliseconds(200)) {
                let types = try await scenario.json("/api/v1/job-types")["job_types"] as? [[String: Any]] ?? []
                return (types.first { $0["type"] as? String == "build" }?["counts"] as? [String: Int])?["queued"] == 0
            }
        }
    }

    @Test("drain stops assignments to the matched worker only, and arbiter actions shows it", arguments: StoreKind.available)
    func drainStarvesOneWorker(store: StoreKind) async throws {
        let directory = try TemporaryDirectory(prefix: "drain")
        defer { directory.remove() }
        let rules = try directory.write("rules.yml", Self.rule("FlakyWorker", labels: "arbiter_action: drain, worker_id: w1"))
        try await ArbiterServer.with(config: Self.config(rules: rules), store: store) { server in
            let ran = { (id: String) in directory.file("\(id).ran") }
            let workers = try ["w1", "w2"].map { id in
                try WorkerProcess(server: server, id: id, exec: ["build": "echo $ARBITER_JOB_ID >> \(ran(id))"], concurrency: 2)
            }
            defer { for worker in workers { Task { await worker.stop() } } }
            let count = { (id: String) in ((try? String(contentsOfFile: ran(id), encoding: .utf8)) ?? "").split(separator: "\n").count }
            #expect(try await server.post("/api/v1/job-types/switch/pause", json: "{}").status == 200)
            try await self.waitForAction(server, "drain", active: true)

            let listed = try await ArbiterServer.run(
                ["actions", "--server", server.baseURL], environment: ["ARBITER_TOKEN": server.adminToken], in: directory)
            #expect(listed.status == 0 && listed.stdout.contains("drain") && listed.stdout.contains("worker_id=w1"), "\(listed.stdout)\(listed.stderr)")
            #expect(listed.stdout.contains("rule:FlakyWorker"), "\(listed.stdout)")

            let before = count("w1")
            try await self.submit(server, count: 40)
            try await Polling.until("w2 runs all 40 jobs", timeout: .seconds(60), interval: .milliseconds(200)) { count("w2") >= 40 }
            #expect(count("w1") == before, "the drained worker was given work")

            #expect(try await server.post("/api/v1/job-types/switch/resume", json: "{}").status == 200)
            try await self.waitForAction(server, "drain", active: false)
            try await self.submit(server, count: 40)
            try await Polling.until("w1 takes work again", timeout: .seconds(60), interval: .milliseconds(200)) { count("w1") > before }
        }
    }

    @Test("an operator forces a breaker and silences an action; both are audited, bad input is named")
    func operatorsOverride() async throws {
        let directory = try TemporaryDirectory(prefix: "override")
        defer { directory.remove() }
        let rules = try directory.write("rules.yml", Self.rule("Shedding", labels: "arbiter_action: shed, job_type: build"))
        try await ArbiterServer.with(config: Self.config(rules: rules)) { server in
            #expect(try await server.post("/api/v1/job-types/switch/pause", json: "{}").status == 200)
            try await self.waitForAction(server, "shed", active: true)
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":{}}"#).status == 503)

            let silenced = try await server.post("/api/v1/actions/silences", json: #"{"action":"shed","job_type":"build","duration":"10m"}"#)
            #expect(silenced.status == 200 && silenced.text.contains("silenced_until"), "\(silenced.text)")
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":{}}"#).status == 201)
            let lifted = try await server.post("/api/v1/actions/silences", json: #"{"action":"shed","job_type":"build","duration":"0s"}"#)
            #expect(lifted.status == 200)
            #expect(try await server.post("/api/v1/jobs", json: #"{"type":"build","payload":{}}"#).status == 503)

            let forced = try await server.post("/api/v1/actions/breakers/build", json: #"{"state":"open","duration":"5m"}"#)
            #expect(forced.status == 200 && forced.text.contains(#""override":"open""#), "\(forced.text)")

            for (path, body, field) in [
                ("/api/v1/actions/breakers/build", #"{"state":"ajar"}"#, "state"),
                ("/api/v1/actions/breakers/build", #"{"state":"open","duration":"soon"}"#, "duration"),
                // A misspelt duration is refused, not read as "until lifted".
                ("/api/v1/actions/breakers/build", #"{"state":"open","for":"1m"}"#, "for"),
                ("/api/v1/actions/silences", #"{"action":"shed","job":"build","duration":"1m"}"#, "job"),
                ("/api/v1/actions/silences", #"{"action":"shed","job_type":"build","worker_id":"w1","duration":"1m"}"#, "worker_id"),
                ("/api/v1/actions/silences", #"{"action":"reboot","duration":"1m"}"#, "action"),
                ("/api/v1/actions/silences", #"{"action":"shed"}"#, "duration"),
                ("/api/v1/alertmanager/webhook", #"{"version":"4","alerts":[{"status":"firing"}]}"#, "alerts[0].labels"),
                ("/api/v1/alertmanager/webhook", #"{"version":"3","alerts":[]}"#, "version"),
            ] {
                let response = try await server.post(path, json: body)
                let error = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
                #expect(response.status == 400 && error?["field"] as? String == field, "\(path) \(body): \(response.text)")
            }
            let webhook = try await server.post("/api/v1/alertmanager/webhook", json: """
                {"version":"4","alerts":[
                  {"status":"firing","labels":{"alertname":"A","arbiter_action":"throttle","job_type":"build"}},
                  {"status":"firing","labels":{"alertname":"B","arbiter_action":"page","job_type":"build"}}]}
                """)
            #expect(webhook.status == 422 && webhook.text.contains("alerts[0].labels.arbiter_rate"), "\(webhook.text)")
            // The valid alert of the notification was applied.
            #expect(try await self.actions(server).contains { $0["action"] as? String == "page" })

            let audit = try await Scenario(server: server, directory: directory).audit("actor=token:bootstrap-admin")
            let actions = Set(audit.map(\.action))
            #expect(actions.isSuperset(of: ["steering.silenced", "steering.unsilenced", "steering.breaker_overridden"]), "\(actions)")
        }
    }
}
