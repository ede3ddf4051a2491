import ArbiterTesting
import Foundation
import Glibc
import Testing

/// The rules see the whole cluster and steer it: every replica samples every replica (each series
/// with its `instance`), so a rule that needs all three replicas' samples fires; the leader's pause is
/// obeyed by every replica within a second; alerts, actions and capacity read the same on each; after
/// the leader is SIGKILLed the breaker stays open and
/// the alert stays firing on the replicas left. Prints its timeline.
@Suite(.serialized, .heavy) struct ClusterSteeringTests {
    /// Fires only where the samples of three replicas are seen, and pauses `t` while it does.
    static let rules = """
        groups:
          - name: cluster
            rules:
              - alert: ClusterOfThree
                expr: count(count by (instance) (last_over_time(arbiter_build_info[10m]))) >= 3
                for: 2s
                labels: {severity: warning, arbiter_action: pause, job_type: t}
        """

    static func breaker(_ cluster: ClusterFixture, _ index: Int, type: String) async throws -> String? {
        let breakers = try await cluster.json(index, "/api/v1/actions")["breakers"] as? [[String: Any]] ?? []
        return breakers.first { $0["job_type"] as? String == type }?["state"] as? String
    }

    static func firing(_ cluster: ClusterFixture, _ index: Int, alert: String) async throws -> String? {
        let data = try await cluster.json(index, "/api/v1/alerts")["data"] as? [String: Any]
        let alerts = data?["alerts"] as? [[String: Any]] ?? []
        return alerts.first { ($0["labels"] as? [String: String])?["alertname"] == alert && $0["state"] as? String == "firing" }?["activeAt"] as? String
    }

    /// What replica `index` says of the firing alerts, the actions in force and the job types its
    /// capacity plan covers, in one line.
    static func view(_ cluster: ClusterFixture, _ index: Int) async throws -> String {
        let data = try await cluster.json(index, "/api/v1/alerts")["data"] as? [String: Any]
        let alerts = (data?["alerts"] as? [[String: Any]] ?? []).compactMap { alert -> String? in
            guard let name = (alert["labels"] as? [String: String])?["alertname"], let state = alert["state"] as? String else { return nil }
            return "\(name) \(state)"
        }
        let actions = (try await cluster.json(index, "/api/v1/actions")["actions"] as? [[String: Any]] ?? []).map {
            "\($0["action"] as? String ?? "") \($0["job_type"] as? String ?? $0["worker_id"] as? String ?? "")"
        }
        let capacity = (try await cluster.json(index, "/api/v1/capacity")["job_types"] as? [[String: Any]] ?? []).compactMap { $0["job_type"] as? String }
        return "alerts [\(alerts.sorted().joined(separator: ", "))], actions [\(actions.sorted().joined(separator: ", "))], capacity [\(capacity.sorted().joined(separator: ", "))]"
    }

    @Test("rules see every replica; the leader's pause holds on all within 1 s and survives its SIGKILL", .enabled(if: ClusterFixture.canRun))
    func theLeadersActionsHoldEverywhereAndSurviveIt() async throws {
        let directory = try TemporaryDirectory(prefix: "cluster-rules")
        defer { directory.remove() }
        let rules = try directory.write("cluster.yml", Self.rules)
        let extra = """
            tsdb: {sample_interval: 1s}
            rules: {evaluation_interval: 1s, builtin: false}
            rule_files: [\(rules)]
            job_types: {c: {max_attempts: 3}}
            """
        try await ClusterFixture.with(replicas: 3, extra: extra) { cluster in
            let started = ContinuousClock.now
            var timeline: [(String, Duration)] = []
            func note(_ event: String) { timeline.append((event, ContinuousClock.now - started)) }
            let leader = try await ClusterLeaderTests.waitForOneLeader(cluster)
            note("r\(leader + 1) leads")

            // Every replica's query API sees the three replicas' series.
            let query = "/api/v1/query?query=" + "count(count by (instance) (arbiter_build_info))".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await Polling.until("every replica samples all three", timeout: .seconds(30)) {
                var agreeing = 0
                for index in 0..<3 {
                    let data = try await cluster.json(index, query)["data"] as? [String: Any]
                    let value = ((data?["result"] as? [[String: Any]])?.first?["value"] as? [Any])?.last as? String
                    if value == "3" { agreeing += 1 }
                }
                return agreeing == 3
            }
            note("every replica's query API counts 3 instances")

            // The pause, as each replica first shows it.
            var opened: [Int: Duration] = [:]
            try await Polling.until("every replica's breaker for t is open", timeout: .seconds(60), interval: .milliseconds(10)) {
                for index in 0..<3 where opened[index] == nil {
                    if try await Self.breaker(cluster, index, type: "t") == "open" { opened[index] = ContinuousClock.now - started }
                }
                return opened.count == 3
            }
            // When each replica put the pause in force, as it stamped it (the polling above cannot tell
            // tens of milliseconds apart on a loaded machine).
            var since: [Int: Double] = [:]
            for index in 0..<3 {
                let actions = try await cluster.json(index, "/api/v1/actions")["actions"] as? [[String: Any]] ?? []
                let pause = actions.first { $0["action"] as? String == "pause" && $0["job_type"] as? String == "t" }
                since[index] = Scenario.parse(pause?["since"] as? String)
            }
            let leaderSince = try #require(since[leader] ?? nil)
            let spread = since.values.compactMap { $0 }.map { $0 - leaderSince }.max() ?? 0
            note("breaker open on every replica; the followers put the pause in force \(Int(spread * 1000)) ms after the leader")
            #expect(since.count == 3 && spread < 1, "the followers obeyed the leader's pause \(spread) s after it")

            // The alerts, the actions in force and the job types capacity plans for read the same on
            // every replica (replicated, not forwarded).
            var views: [String] = []
            try await Polling.until("every replica answers the same", timeout: .seconds(10), interval: .milliseconds(100)) {
                views = []
                for index in 0..<3 { views.append(try await Self.view(cluster, index)) }
                return Set(views).count == 1 && views[0].hasSuffix("capacity [c]")
            }
            note("alerts, actions and capacity read the same on every replica: \(views[0])")

            cluster.servers[leader].process.signal(SIGKILL)
            note("leader r\(leader + 1) SIGKILLed")
            let survivors = (0..<3).filter { $0 != leader }
            var next = -1
            var ledSince = ContinuousClock.now
            // Until a new leader has led for a few of its evaluations, the breaker stays open everywhere.
            try await Polling.until("a new leader has led for 3 s", timeout: .seconds(60), interval: .milliseconds(50)) {
                for index in survivors {
                    let state = try await Self.breaker(cluster, index, type: "t")
                    if state != "open" { throw TestingError("r\(index + 1)'s breaker for t went \(state ?? "away") after the failover") }
                }
                if next < 0, let found = await ClusterLeaderTests.leaders(cluster).first {
                    next = found
                    ledSince = ContinuousClock.now
                    note("r\(found + 1) leads")
                }
                return next >= 0 && ContinuousClock.now - ledSince > .seconds(3)
            }
            note("breaker still open on both survivors")
            for index in survivors {
                let since = try await Self.firing(cluster, index, alert: "ClusterOfThree")
                #expect(since != nil, "r\(index + 1) still has ClusterOfThree firing")
            }
            note("ClusterOfThree still firing on both survivors")
            print("cluster steering timeline:")
            for (event, at) in timeline { print("  \(at)  \(event)") }
        }
    }
}

