import ArbiterTesting
import Foundation
import Testing

/// Against a receiver too slow for one connection, the sender measures its throughput and opens
/// more shards, and then keeps up.
@Suite(.heavy) struct RemoteWriteShardingTests {
    @Test("a slow receiver gets more shards, requests in parallel, and the sender catches up")
    func slowReceiverGetsMoreShards() async throws {
        // Every answer takes 250 ms; with 20 samples a request one connection cannot send a round a second.
        let receiver = try await FaultyReceiver.start(scripts: ["slow": Array(repeating: .slow(.milliseconds(250)), count: 100_000)])
        defer { receiver.stop() }
        let config = RemoteWriteEndToEndTests.config(endpoints: """
              - url: http://127.0.0.1:\(receiver.port)/slow
                name: slow
                queue_config: {min_shards: 1, max_shards: 16, max_samples_per_send: 20}
            """)
        try await ArbiterServer.with(config: config) { server in
            func metric(_ name: String) async throws -> Double? {
                try await RemoteWriteEndToEndTests.metric(server, name, ["remote_name": "slow"])
            }
            let started = ContinuousClock.now
            try await Polling.until("more than one shard", timeout: .seconds(60), interval: .milliseconds(500)) {
                try await metric("arbiter_remote_storage_shards") ?? 1 > 1
            }
            let shards = try await metric("arbiter_remote_storage_shards") ?? 0
            print("remote write resharded to \(shards) shards after \(started.duration(to: .now)); desired \(try await metric("arbiter_remote_storage_shards_desired") ?? 0)")
            #expect(shards <= 16)
            // Then it keeps up: less than 5 s between what was sampled and what was sent.
            try await Polling.until("the sender keeps up", timeout: .seconds(60), interval: .milliseconds(500)) {
                let highest = try await metric("arbiter_remote_storage_queue_highest_timestamp_seconds") ?? 0
                let sent = try await metric("arbiter_remote_storage_queue_highest_sent_timestamp_seconds") ?? 0
                return highest - sent < 5
            }
            #expect(receiver.mostInFlight > 1, "requests went in parallel")
            #expect(receiver.received("slow").allSatisfy { $0.answered == 204 })
        }
    }
}
