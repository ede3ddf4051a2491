import ArbiterPromQL
import Testing

@Suite("PromQL test scripts")
struct TestScriptTests {
    @Test("a passing script counts its cases; a wrong expectation is a failure naming the line")
    func runsAndReports() throws {
        let script = try TestScript("""
            load 1m
              requests_total{code="200"} 0+60x10
              requests_total{code="500"} 0+6x10 _ stale

            eval instant at 10m rate(requests_total[5m])
              {code="200"} 1
              {code="500"} 0.1

            eval instant at 10m sum by (code) (requests_total)
              {code="200"} 600
              {code="500"} 999

            eval_fail instant at 10m label_replace(requests_total, "not-a-label", "x", "code", ".*")

            eval instant at 12m requests_total
              requests_total{code="200"} 600
            """)
        let outcome = script.run()
        #expect(outcome.cases == 4)
        #expect(outcome.passed == 3)
        #expect(outcome.failures.map(\.line) == [9])
        #expect(outcome.failures.first?.message.contains("999") == true)
    }

    @Test("a line that is no command is refused with its number")
    func badCommand() {
        #expect(throws: TestScript.ParseError.self) { try TestScript("load 5m\n  foo 1\n\nevaluate foo\n") }
    }
}

@Suite("PromQL engine limits")
struct EngineLimitTests {
    @Test("a query over its sample limit or its timeout is refused with the limit named")
    func limits() throws {
        var options = Engine.Options()
        options.maxSamples = 10
        let head = TestHead.loaded
        #expect(throws: QueryError.self) { try Engine(options: options).instant(try Parser.parse("up[1h]"), at: 3_600_000, on: head) }
        do {
            _ = try Engine(options: options).instant(try Parser.parse("up[1h]"), at: 3_600_000, on: head)
        } catch let error as QueryError {
            #expect(error.kind == .tooManySamples && error.message.contains("query.max_samples = 10"))
        }
        options = Engine.Options()
        options.timeout = .zero
        do {
            _ = try Engine(options: options).instant(try Parser.parse("sum(up)"), at: 3_600_000, on: head)
            Issue.record("no timeout")
        } catch let error as QueryError {
            #expect(error.kind == .timeout && error.message == "query timed out in query execution")
        }
    }
}
