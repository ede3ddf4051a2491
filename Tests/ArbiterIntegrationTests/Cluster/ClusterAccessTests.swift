import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Access decisions hold across replicas: an address that fails on several replicas is locked out
/// on all of them after the failures one replica allows, and a token revoked on one is refused by
/// the others at once, not when their cache of it ends. Prints what it measured.
@Suite(.serialized, .heavy) struct ClusterAccessTests {
    static func received(_ cluster: ClusterFixture, _ index: Int, _ event: String) async throws -> Double {
        // Without a token: an authenticated request would clear the address's failures.
        let metrics = try await cluster.servers[index].send("/metrics", token: "").text
        return Double(ExpositionSamples.value(in: metrics, "arbiter_cluster_events_total", ["event": event, "direction": "received"]) ?? "0") ?? 0
    }

    @Test("failures spread over two replicas lock the address out on both", .enabled(if: ClusterFixture.canRun))
    func lockoutHoldsAcrossReplicas() async throws {
        try await ClusterFixture.with(replicas: 2, extra: "metrics: {public: true}", auth: "  lockout: {failures: 3, window: 1m, duration: 1m}") { cluster in
            // Four failures (more than 3), each on the other replica from the last, each heard by the
            // other before the next: the fourth locks the address out.
            var statuses: [Int] = []
            for attempt in 0..<4 {
                let index = attempt % 2
                let other = 1 - index
                let heard = try await Self.received(cluster, other, "auth_failure")
                statuses.append(Int(try await cluster.servers[index].send("/api/v1/jobs", token: "arb_wrong\(attempt)").status))
                try await Polling.until("r\(other + 1) hears of the failure", timeout: .seconds(10), interval: .milliseconds(5)) {
                    try await Self.received(cluster, other, "auth_failure") > heard
                }
            }
            #expect(statuses == [401, 401, 401, 401])
            // Locked out on both, even with the right token.
            for index in 0..<2 {
                let answer = try await cluster.servers[index].send("/api/v1/jobs", token: cluster.token)
                #expect(answer.status == 429, "r\(index + 1) answered \(answer.status)")
            }
        }
    }

    @Test("a token revoked on r1 is refused by r2 well before its 5 s cache ends (prints the time)", .enabled(if: ClusterFixture.canRun))
    func aRevocationReachesEveryReplica() async throws {
        try await ClusterFixture.with(replicas: 2) { cluster in
            let created = try await cluster.servers[0].post("/api/v1/tokens", json: #"{"name":"reader","role":"viewer"}"#, token: cluster.token)
            #expect(created.status == 201, "\(created.text)")
            let object = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]
            let token = try #require(object?["token"] as? String)
            let id = try #require(object?["id"] as? String)
            // r2 checks the token once and caches it.
            #expect(try await cluster.servers[1].send("/api/v1/jobs", token: token).status == 200)

            // r2's cache of it lasts 5 s from here.
            let cached = ContinuousClock.now
            let revoked = ContinuousClock.now
            #expect(try await cluster.servers[0].send("/api/v1/tokens/\(id)", method: .DELETE, token: cluster.token).status == 200)
            try await Polling.until("r2 refuses the revoked token", timeout: .seconds(3) - (ContinuousClock.now - cached), interval: .milliseconds(5)) {
                try await cluster.servers[1].send("/api/v1/jobs", token: token).status == 401
            }
            print("token revoked on r1, refused by r2 after \(ContinuousClock.now - revoked)")
        }
    }
}
