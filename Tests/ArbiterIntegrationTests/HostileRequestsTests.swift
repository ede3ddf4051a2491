import ArbiterTesting
import Foundation
import NIOHTTP1
import Testing

/// Requests that once stopped or stalled the daemon (an overflowing duration, a query nested
/// thousands deep, a regex that backtracks exponentially, a body nested past any sane depth) are
/// refused with a 4xx naming the field, and afterwards the daemon still answers and keeps every job.
@Suite struct HostileRequestsTests {
    typealias JSON = [String: Any]

    func json(_ response: HTTPProbe.Response) -> JSON {
        (try? JSONSerialization.jsonObject(with: Data(response.body))) as? JSON ?? [:]
    }

    func error(_ response: HTTPProbe.Response) -> [String: String] {
        self.json(response)["error"] as? [String: String] ?? [:]
    }

    func query(_ server: ArbiterServer, _ promql: String) async throws -> HTTPProbe.Response {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return try await server.get("/api/v1/query?query=" + promql.addingPercentEncoding(withAllowedCharacters: allowed)!)
    }

    @Test func hostileRequestsAreRefusedAndNothingIsLost() async throws {
        let longType = String(repeating: "a", count: 100)
        try await ArbiterServer.with(config: SecondScaleConfig.yaml(jobTypes: ["x"])) { server in
            let submitter = try await server.createToken(name: "submitter", role: "submitter")
            for type in ["x", "x", longType] {
                let response = try await server.post("/api/v1/jobs", json: #"{"type":"\#(type)","payload":{}}"#, token: submitter)
                #expect(response.status == 201)
            }

            // A1: durations past what a timestamp can hold.
            for delay in ["9223372036854775807ms", "292471208y", "9223372036854775s", "15250284452w", "293y"] {
                let single = try await server.post("/api/v1/jobs", json: #"{"type":"x","payload":{},"delay":"\#(delay)"}"#, token: submitter)
                #expect(single.status == 400 && self.error(single)["field"] == "delay", "\(delay): \(single.text)")
                let batch = try await server.post(
                    "/api/v1/jobs/batch", json: #"{"jobs":[{"type":"x","payload":{}},{"type":"x","payload":{},"delay":"\#(delay)"}]}"#, token: submitter)
                #expect(batch.status == 400 && self.error(batch)["field"] == "jobs[1].delay", "\(delay): \(batch.text)")
            }
            let timeout = try await server.post("/api/v1/jobs", json: #"{"type":"x","payload":{},"timeout":"99999999999999999999y"}"#, token: submitter)
            #expect(timeout.status == 400 && self.error(timeout)["field"] == "timeout")

            // A2: nesting far past the parsers' bounds.
            let parens = try await self.query(server, String(repeating: "(", count: 2000) + "1" + String(repeating: ")", count: 2000))
            #expect(parens.status == 400 && self.json(parens)["errorType"] as? String == "bad_data", "\(parens.text.prefix(300))")
            let minuses = try await self.query(server, String(repeating: "-", count: 10_000) + "1")
            #expect(minuses.status == 400 && self.json(minuses)["errorType"] as? String == "bad_data")
            let deepPayload = #"{"type":"x","payload":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
            let nested = try await server.post("/api/v1/jobs", json: deepPayload, token: submitter)
            #expect(nested.status == 400 && self.error(nested)["code"] == "invalid_json", "\(nested.text.prefix(300))")

            // A3: a pattern that backtracks exponentially, against a 100-character label value.
            try await Polling.until("the long job type is sampled") {
                let found = try await self.query(server, #"arbiter_jobs_submitted_total{job_type="\#(longType)"}"#)
                return ((self.json(found)["data"] as? JSON)?["result"] as? [Any])?.isEmpty == false
            }
            let clock = ContinuousClock()
            var regexAnswer: HTTPProbe.Response?
            let elapsed = try await clock.measure {
                regexAnswer = try await self.query(server, #"count({job_type=~"(a+)+b"}) or vector(0)"#)
            }
            #expect(regexAnswer?.status == 200)
            // A backtracking engine takes 2^100 steps here; RE2 answers at once, within seconds when loaded.
            #expect(elapsed < .seconds(5))
            let backreference = try await self.query(server, #"{job_type=~"(a)\\1"}"#)
            #expect(backreference.status == 400)

            // A4: a range whose span does not fit in Int64 milliseconds.
            let span = try await server.get("/api/v1/query_range?query=1&start=-8999999999999999&end=8999999999999999&step=1000000000000")
            #expect(span.status == 400 && self.json(span)["errorType"] as? String == "bad_data", "\(span.text.prefix(300))")

            // Still serving, every job kept.
            #expect(try await server.get("/health").status == 200)
            let jobs = self.json(try await server.get("/api/v1/jobs?limit=1000"))["jobs"] as? [JSON] ?? []
            #expect(jobs.count == 3)
        }
    }
}
