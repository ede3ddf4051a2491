@testable import ArbiterTSDB
import Testing

@Suite struct TextExpositionParserTests {
    @Test func readsSamplesLabelsEscapesAndSpecialValues() throws {
        let text = """
            # HELP http_requests_total Requests.
            # TYPE http_requests_total counter
            http_requests_total{method="GET",code="200"} 1027 1395066363000
            http_requests_total{method="POST",path="C:\\\\dir \\"x\\"\\nnext"} 3
            up 1
            temperature -Inf
            ratio NaN
            big +Inf
            latency_seconds_bucket{le="0.5",} 7

            """
        let samples = try TextExpositionParser.parse(Array(text.utf8))
        #expect(samples.count == 7)
        #expect(samples[0].0 == Labels(["__name__": "http_requests_total", "method": "GET", "code": "200"]) && samples[0].1 == 1027)
        #expect(samples[1].0["path"] == "C:\\dir \"x\"\nnext")
        #expect(samples[2].0 == Labels(["__name__": "up"]) && samples[2].1 == 1)
        #expect(samples[3].1 == -.infinity && samples[4].1.isNaN && samples[5].1 == .infinity)
        #expect(samples[6].0["le"] == "0.5")
    }

    @Test func badLinesNameTheLine() {
        #expect(throws: TextExpositionParser.ParseError(line: 2, message: "up: no value, or not a number")) {
            try TextExpositionParser.parse(Array("ok 1\nup\n".utf8))
        }
        #expect(throws: TextExpositionParser.ParseError.self) { try TextExpositionParser.parse(Array("x{a=1} 2\n".utf8)) }
        #expect(throws: TextExpositionParser.ParseError.self) { try TextExpositionParser.parse(Array(#"x{a="1} 2"#.utf8)) }
    }
}
