import ArbiterTesting
import Foundation
import Glibc
import Testing

/// Remote write to a real Prometheus 2.42 receiver (`--web.enable-remote-write-receiver`): every
/// sample Arbiter took arrives, through a receiver outage and through SIGKILL, without gaps and
/// without out-of-order rejections.
@Suite(.serialized) struct RemoteWriteEndToEndTests {
    static func config(receiver: PrometheusServer, name: String = "prom") -> String {
        Self.config(endpoints: """
              - url: \(receiver.baseURL)/api/v1/write
                name: \(name)
                queue_config: {min_backoff: 50ms, max_backoff: 1s}
            """)
    }

    /// A daemon sampling every second, without the built-in rules, writing to `endpoints` (the
    /// items of `remote_write:`, indented by two spaces).
    static func config(endpoints: String) -> String {
        "tsdb:\n  sample_interval: 1s\nrules:\n  builtin: false\nremote_write:\n" + endpoints
    }

    static func receiver(restarting previous: PrometheusServer? = nil) async throws -> PrometheusServer {
        try await PrometheusServer.start(scrapeConfigs: "", restarting: previous)
    }

    /// The raw sample timestamps (ms) of `series` over the last hour, from a Prometheus-API server.
    static func timestamps(_ baseURL: String, _ series: String, token: String? = nil) async throws -> [Int64] {
        let response = try await Self.query(baseURL, "\(series)[1h]", token: token)
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let result = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        let values = result.first?["values"] as? [[Any]] ?? []
        return values.compactMap { ($0.first as? Double).map { Int64(($0 * 1000).rounded()) } }
    }

    /// `GET /api/v1/query`, the expression fully percent-encoded (a bare `+` would read as a space).
    static func query(_ baseURL: String, _ expression: String, token: String?) async throws -> HTTPProbe.Response {
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
        return try await HTTPProbe.get("\(baseURL)/api/v1/query?query=\(encoded)", headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    static func metric(_ server: ArbiterServer, _ name: String, _ labels: [String: String] = ["remote_name": "prom"]) async throws -> Double? {
        let text = try await server.get("/metrics").text
        return ExpositionSamples.parse(text).first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .flatMap { Double($0.value) }
    }

    /// The sampling rounds Arbiter holds: one sample of `arbiter_build_info` each.
    static func rounds(_ server: ArbiterServer) async throws -> Int {
        try await Self.timestamps(server.baseURL, "arbiter_build_info", token: server.adminToken).count
    }

    /// Waits until Arbiter holds at least `count` sampling rounds (a second each, or longer when the
    /// machine is loaded).
    static func waitForRounds(_ server: ArbiterServer, atLeast count: Int, timeout: Duration = .seconds(60)) async throws {
        try await Polling.until("Arbiter holds \(count) sampling rounds", timeout: timeout, interval: .milliseconds(500)) {
            try await Self.rounds(server) >= count
        }
    }

    /// Waits until everything Arbiter sampled so far is delivered.
    static func waitForDelivery(_ server: ArbiterServer, timeout: Duration = .seconds(60)) async throws {
        try await Polling.until("remote write catches up", timeout: timeout, interval: .milliseconds(200)) {
            let pending = try await Self.metric(server, "arbiter_remote_storage_samples_pending")
            let highest = try await Self.metric(server, "arbiter_remote_storage_queue_highest_timestamp_seconds")
            let sent = try await Self.metric(server, "arbiter_remote_storage_queue_highest_sent_timestamp_seconds")
            return pending == 0 && highest != nil && highest == sent
        }
    }

    /// What the receiver refused: 400s on its write endpoint and out-of-order samples.
    static func rejections(_ receiver: PrometheusServer) async throws -> (badRequests: Double, outOfOrder: Double) {
        let text = try await HTTPProbe.get("\(receiver.baseURL)/metrics").text
        let samples = ExpositionSamples.parse(text)
        let bad = samples.filter { $0.name == "prometheus_http_requests_total" && $0.labels["handler"] == "/api/v1/write" && $0.labels["code"] == "400" }
        let ooo = samples.first { $0.name == "prometheus_tsdb_out_of_order_samples_total" }
        return (bad.compactMap { Double($0.value) }.reduce(0, +), ooo.flatMap { Double($0.value) } ?? 0)
    }

    @Test("every sampled sample arrives: per series, Prometheus holds what Arbiter sent", .enabled(if: ExternalTool.prometheus.shouldRun))
    func samplesArrive() async throws {
        let receiver = try await Self.receiver()
        defer { Task { await receiver.stop() } }
        try await ArbiterServer.with(config: Self.config(receiver: receiver)) { server in
            try await Self.waitForRounds(server, atLeast: 6)
            try await Self.waitForDelivery(server)
            let time = Int(Date().timeIntervalSince1970) - 1
            // Every series Arbiter holds, counted by both at the same instant.
            let query = "{__name__=~\"arbiter_.+\"}[1h] @ \(time)"
            let ours = try await self.counts(server.baseURL, query, token: server.adminToken)
            let theirs = try await self.counts(receiver.baseURL, query)
            #expect(ours.count > 50, "\(ours.count) series")
            #expect(ours == theirs, "\(Set(ours.keys).symmetricDifference(theirs.keys).prefix(5)) \(ours.filter { theirs[$0.key] != $0.value }.prefix(5))")
            let sent = try await Self.metric(server, "arbiter_remote_storage_samples_total") ?? 0
            #expect(sent >= Double(ours.values.reduce(0, +)))
            let rejections = try await Self.rejections(receiver)
            #expect(rejections.badRequests == 0 && rejections.outOfOrder == 0)
        }
    }

    @Test("a 2-minute receiver outage loses nothing and causes no out-of-order rejection", .enabled(if: ExternalTool.prometheus.shouldRun))
    func receiverOutage() async throws {
        var receiver = try await Self.receiver()
        try await ArbiterServer.with(config: Self.config(receiver: receiver)) { server in
            try await Self.waitForRounds(server, atLeast: 3)
            try await Self.waitForDelivery(server)
            await receiver.pause()
            // Two minutes of sampling while the receiver is down: 120 rounds, however long a loaded
            // machine takes over them.
            let beforeOutage = try await Self.rounds(server)
            try await Self.waitForRounds(server, atLeast: beforeOutage + 120, timeout: .seconds(400))
            let pending = try await Self.metric(server, "arbiter_remote_storage_samples_pending") ?? 0
            #expect(pending > 1_000, "\(pending) samples waiting during the outage")
            receiver = try await Self.receiver(restarting: receiver)
            try await Self.waitForDelivery(server, timeout: .seconds(120))
            // What Arbiter holds now, then what reached Prometheus once that much was delivered too.
            let ours = try await Self.timestamps(server.baseURL, "arbiter_build_info", token: server.adminToken)
            try await Self.waitForDelivery(server)
            let theirs = try await Self.timestamps(receiver.baseURL, "arbiter_build_info")
            let missing = Set(ours).subtracting(theirs)
            #expect(ours.count > 120 && missing.isEmpty, "\(missing.count) of \(ours.count) samples missing")
            // And every other series: per series, Prometheus holds as many samples as Arbiter does.
            let time = Int(Date().timeIntervalSince1970) - 1
            let query = "{__name__=~\"arbiter_.+\"}[1h] @ \(time)"
            let counted = try await self.counts(server.baseURL, query, token: server.adminToken)
            try await Self.waitForDelivery(server)
            let received = try await self.counts(receiver.baseURL, query)
            #expect(counted.count > 50 && counted == received, "\(counted.filter { received[$0.key] != $0.value }.prefix(5))")
            let rejections = try await Self.rejections(receiver)
            #expect(rejections.badRequests == 0 && rejections.outOfOrder == 0, "\(rejections)")
            #expect(try await Self.metric(server, "arbiter_remote_storage_samples_retried_total") ?? 0 > 0)
        }
        await receiver.stop()
    }

    @Test("SIGKILL during an outage, a torn tail, a restart: nothing sampled before the kill is lost", .enabled(if: ExternalTool.prometheus.shouldRun))
    func crashDuringOutage() async throws {
        var receiver = try await Self.receiver()
        let data = try TemporaryDirectory(prefix: "arbiter-data")
        defer { data.remove() }
        let config = Self.config(receiver: receiver)
        let first = try await ArbiterServer.start(config: config, dataDirectory: data.path)
        try await Self.waitForRounds(first, atLeast: 3)
        try await Self.waitForDelivery(first)
        await receiver.pause()
        // Ten rounds sampled during the outage, held only in the queue when the kill comes.
        let beforeOutage = try await Self.rounds(first)
        try await Self.waitForRounds(first, atLeast: beforeOutage + 10)
        let sampled = try await Self.timestamps(first.baseURL, "arbiter_build_info", token: first.adminToken)
        first.process.signal(SIGKILL)
        _ = await first.process.waitForExit(timeout: .seconds(10))
        await first.stop()
        // A write cut short by the kill leaves a partial record; this one is made by hand.
        let queue = data.path + "/remote-write/prom"
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: queue).filter { $0.hasSuffix(".seg") }.max())
        let handle = try #require(FileHandle(forWritingAtPath: queue + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data([0x30, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x01]))
        try handle.close()

        try await ArbiterServer.with(config: config, dataDirectory: data.path) { second in
            #expect(try await Self.metric(second, "arbiter_remote_write_buffer_truncations_total") == 1)
            receiver = try await Self.receiver(restarting: receiver)
            try await Self.waitForDelivery(second, timeout: .seconds(90))
            let theirs = Set(try await Self.timestamps(receiver.baseURL, "arbiter_build_info"))
            let missing = Set(sampled).subtracting(theirs)
            #expect(sampled.count >= 12 && missing.isEmpty, "\(missing.count) of \(sampled.count) samples taken before the kill are missing")
            let rejections = try await Self.rejections(receiver)
            #expect(rejections.badRequests == 0 && rejections.outOfOrder == 0, "\(rejections)")
        }
        await receiver.stop()
    }

    /// `series labels → samples` of a range-vector query.
    func counts(_ baseURL: String, _ query: String, token: String? = nil) async throws -> [String: Int] {
        let response = try await Self.query(baseURL, query, token: token)
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let result = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        var counts: [String: Int] = [:]
        for item in result {
            let labels = (item["metric"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            counts[labels] = (item["values"] as? [Any])?.count ?? -1
        }
        return counts
    }
}
