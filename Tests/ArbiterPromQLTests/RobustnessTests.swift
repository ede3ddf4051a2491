import ArbiterPromQL
import ArbiterTSDB
import Testing

/// Whatever the query, the parser and engine answer with a result or an error, never a crash.
@Suite struct RobustnessTests {
    static let queries = [
        #"sum by (job) (rate(http_requests_total{job=~"api.*", code!="500"}[5m] offset 1h @ 1609746000))"#,
        #"histogram_quantile(0.9, sum by (le) (rate(request_duration_seconds_bucket[5m]))) > bool 0.5"#,
        #"label_replace(up, "dst", "$1", "instance", "(.*):.*") or on(job) group_left(team) vector(1)"#,
        #"topk(3, max_over_time(deriv(x[1h:5m])[30m:1m])) unless absent(y{a="b"}) ^ -2"#,
        #"count_values("value", quantile_over_time(0.5, up[10m])) / ignoring(value) group_right count(up)"#,
    ]

    @Test("every prefix, every single-character deletion and odd inserts parse or fail cleanly, and evaluate or fail cleanly")
    func mutatedQueries() {
        let head = TestHead.loaded
        let engine = Engine()
        var checked = 0
        for query in Self.queries {
            let characters = Array(query)
            var variants: [String] = []
            for cut in 0...characters.count { variants.append(String(characters[..<cut])) }
            for index in characters.indices {
                var deleted = characters
                deleted.remove(at: index)
                variants.append(String(deleted))
                for insert in ["(", "]", "\"", "[99999999999y]", " offset -9999999999999999y", " @ 1e300", "{", ",", "@", "0x", "#"] {
                    var inserted = characters
                    inserted.insert(contentsOf: insert, at: index)
                    variants.append(String(inserted))
                }
            }
            for variant in variants {
                checked += 1
                guard let expr = try? Parser.parse(variant) else { continue }
                _ = try? engine.instant(expr, at: 3_600_000, on: head)
                if expr.type == .vector || expr.type == .scalar {
                    _ = try? engine.range(expr, start: 0, end: 3_600_000, step: 600_000, on: head)
                }
            }
        }
        #expect(checked > 1000)
    }

    @Test("durations past 292 years and @ times past int64 are refused", arguments: [
        "up[300y]", "up offset 300y", "up @ 1e300", "up[9999999999999999999s]", "rate(up[5m:99999999999999m])",
    ])
    func outOfRange(query: String) {
        #expect(throws: PromQLError.self) { try Parser.parse(query) }
    }

    @Test("nesting ten times past the bound is a parse error, not a crash")
    func tooDeep() {
        let depth = 10 * Parser.maxDepth
        let queries = [
            String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth),
            String(repeating: "-", count: 10_000) + "1",
            String(repeating: "abs(", count: depth) + "up" + String(repeating: ")", count: depth),
            "1" + String(repeating: " + 1", count: depth),
            "2" + String(repeating: " ^ 2", count: depth),
        ]
        for query in queries {
            #expect(throws: PromQLError.self, "\(query.prefix(12))…") { try Parser.parse(query) }
        }
    }

    @Test("nesting up to the bound parses and evaluates")
    func deepButAllowed() throws {
        let depth = Parser.maxDepth / 2 - 1
        let query = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let expr = try Parser.parse(query)
        #expect(throws: Never.self) { try Engine().instant(expr, at: 0, on: TestHead.empty) }
        let chain = "1" + String(repeating: " + 1", count: Parser.maxDepth - 2)
        let sum = try Engine().instant(try Parser.parse(chain), at: 0, on: TestHead.empty)
        #expect("\(sum)".contains("\(Parser.maxDepth - 1)"))
    }

    @Test("a regex that backtracks exponentially runs in linear time, as RE2 runs it in Prometheus")
    func pathologicalRegex() throws {
        let head = Head()
        head.append(Labels(["__name__": "jobs", "job_type": String(repeating: "a", count: 50_000)]), 0, 1)
        let expr = try Parser.parse(#"count({job_type=~"(a+)+b"}) or vector(0)"#)
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try Engine().instant(expr, at: 0, on: head) }
        // A backtracking engine needs 2^50000 steps; RE2 needs milliseconds, seconds on a loaded machine.
        #expect(elapsed < .seconds(5))
        #expect(throws: PromQLError.self) { try Parser.parse(#"{job_type=~"(a)\\1"}"#) }
    }
}
