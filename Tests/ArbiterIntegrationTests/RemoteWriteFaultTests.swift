import ArbiterCore
import ArbiterTesting
import Foundation
import Testing

/// Remote write against a receiver that fails on purpose: 5xx and timeouts are retried with backoff
/// (or after `Retry-After`), 429 is retried only with `retry_on_http_429`, other 4xx are dropped,
/// and the counters say which happened.
@Suite struct RemoteWriteFaultTests {
    @Test("500, 429 with and without Retry-After, 400 and a slow answer are retried or dropped as the rules say")
    func faultsFollowTheRules() async throws {
        let receiver = try await FaultyReceiver.start(scripts: [
            // No 429 retries here: the 500 is retried, the 429 and the 400 drop their rounds.
            "strict": [.status(500), .status(429), .status(400)],
            // 429 retried here: after Retry-After 2 s, after the backoff, after an 8 s timeout, after Retry-After 1 s.
            // The timeout is long so that a loaded machine's slow answers are not taken for the scripted one.
            "lenient": [.status(429, retryAfter: "2"), .status(429), .slow(.seconds(10)), .status(503, retryAfter: "1")],
        ])
        defer { receiver.stop() }
        let config = RemoteWriteEndToEndTests.config(endpoints: """
              - url: http://127.0.0.1:\(receiver.port)/strict
                name: strict
                queue_config: {min_backoff: 100ms, max_backoff: 1s}
              - url: http://127.0.0.1:\(receiver.port)/lenient
                name: lenient
                remote_timeout: 8s
                headers: {X-Scope-OrgID: tenant-1}
                queue_config: {min_backoff: 100ms, max_backoff: 1s, retry_on_http_429: true}
            """)
        try await ArbiterServer.with(config: config) { server in
            try await Polling.until("both endpoints get through their faults", timeout: .seconds(60), interval: .milliseconds(200)) {
                receiver.received("strict").filter { $0.answered == 204 }.count >= 2 && receiver.received("lenient").filter { $0.answered == 204 }.count >= 2
            }
            let metrics = try await server.get("/metrics").text
            func value(_ name: String, _ endpoint: String) -> Double {
                ExpositionSamples.parse(metrics).filter { $0.name == name && $0.labels["remote_name"] == endpoint }.compactMap { Double($0.value) }.reduce(0, +)
            }

            let strict = receiver.received("strict")
            #expect(strict.prefix(3).map(\.answered) == [500, 429, 400])
            // The 500's round came again and met the 429: one round lost to it, the next to the 400.
            #expect(strict[0].timestamps == strict[1].timestamps && strict[1].timestamps != strict[2].timestamps)
            #expect(strict[1].headers["retry-attempt"] == "1" && strict[0].headers["retry-attempt"] == nil)
            #expect(value("arbiter_remote_storage_samples_retried_total", "strict") == Double(strict[0].samples))
            #expect(value("arbiter_remote_storage_samples_failed_total", "strict") == Double(strict[1].samples + strict[2].samples))

            let lenient = receiver.received("lenient")
            #expect(lenient.prefix(5).map(\.answered) == [429, 429, 204, 503, 204])
            #expect(Set(lenient.prefix(5).map(\.timestamps)).count == 1, "every retry carries the same round")
            // How long the sender waited before each retry, as it decided and logged it: Retry-After 2 s;
            // a bare 429 waits the backoff, doubled from the last wait (2 s) but capped by max_backoff
            // (1 s), not the 4 s an uncapped doubling would; after the 8 s timeout, the backoff again;
            // Retry-After 1 s. The receiver's arrival times cannot show this on a loaded machine: it may
            // log a request a second or more after it was sent.
            let waits = server.logLines.filter { $0["msg"] == "remote write failed; retrying" && $0["remote_name"] == "lenient" }
                .compactMap { $0["retry_in"] }
            #expect(Array(waits.prefix(4)) == ["2s", "1s", "1s", "1s"], "the waits before each retry: \(waits)")
            // And they were waited: the four retries took at least the 5 s those waits add up to,
            // besides the 8 s timeout.
            let span = (lenient[4].at - lenient[0].at).seconds
            #expect(span >= 13, "four retries came within \(span) s")
            #expect(value("arbiter_remote_storage_samples_failed_total", "lenient") == 0)
            #expect(value("arbiter_remote_storage_samples_retried_total", "lenient") == Double(4 * lenient[0].samples))

            let headers = lenient[0].headers
            #expect(headers["content-encoding"] == "snappy" && headers["content-type"] == "application/x-protobuf")
            #expect(headers["x-prometheus-remote-write-version"] == "0.1.0" && headers["user-agent"]?.hasPrefix("Arbiter/") == true)
            #expect(headers["x-scope-orgid"] == "tenant-1")
        }
    }
}
