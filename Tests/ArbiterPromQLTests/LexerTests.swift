@testable import ArbiterPromQL
import Testing

/// The PromQL lexer: every token kind of Prometheus 2.42, and errors that point at the place.
@Suite struct LexerTests {
    func kinds(_ query: String) throws -> [Token.Kind] {
        try Lexer.tokens(query).map(\.kind).dropLast()
    }

    @Test func aSelectorWithMatchersRangeOffsetAndAt() throws {
        #expect(try self.kinds(#"rate(http_requests_total{job=~"api.*", code!="500"}[5m] offset 1h30m @ 1609746000)"#) == [
            .identifier("rate"), .leftParen, .identifier("http_requests_total"), .leftBrace, .identifier("job"), .operator(.regexMatch),
            .string("api.*"), .comma, .identifier("code"), .operator(.neq), .string("500"), .rightBrace, .leftBracket,
            .duration(.seconds(300)), .rightBracket, .keyword(.offset), .duration(.seconds(5400)), .at, .number(1_609_746_000), .rightParen,
        ])
    }

    @Test func operatorsKeywordsAndSubqueries() throws {
        #expect(try self.kinds("a / ignoring(x) group_left b >= bool 2 and on() c unless d ^ -1 % 3") == [
            .identifier("a"), .operator(.div), .keyword(.ignoring), .leftParen, .identifier("x"), .rightParen, .keyword(.groupLeft),
            .identifier("b"), .operator(.gte), .keyword(.bool), .number(2), .keyword(.and), .keyword(.on), .leftParen, .rightParen,
            .identifier("c"), .keyword(.unless), .identifier("d"), .operator(.pow), .operator(.sub), .number(1), .operator(.mod), .number(3),
        ])
        #expect(try self.kinds("max_over_time(x[1h:5m]) @ start()") == [
            .identifier("max_over_time"), .leftParen, .identifier("x"), .leftBracket, .duration(.seconds(3600)), .colon,
            .duration(.seconds(300)), .rightBracket, .rightParen, .at, .keyword(.start), .leftParen, .rightParen,
        ])
        #expect(try self.kinds("job:http_requests:rate5m") == [.metricIdentifier("job:http_requests:rate5m")])
    }

    @Test func numbersDurationsAndStrings() throws {
        #expect(try self.kinds("1 1.5 .5 1e3 2.5E-3 0x1F Inf -inf") == [
            .number(1), .number(1.5), .number(0.5), .number(1000), .number(0.0025), .number(31), .number(.infinity), .operator(.sub),
            .number(.infinity),
        ])
        guard case .number(let nan) = try self.kinds("NaN")[0] else { Issue.record("NaN is not a number token"); return }
        #expect(nan.isNaN)
        #expect(try self.kinds("250ms 1y 2w 3d 1h30m") == [
            .duration(.milliseconds(250)), .duration(.seconds(365 * 86400)), .duration(.seconds(14 * 86400)), .duration(.seconds(3 * 86400)),
            .duration(.seconds(5400)),
        ])
        #expect(try self.kinds(#""a\"b\n" 'it\'s' `raw\n`"#) == [.string("a\"b\n"), .string("it's"), .string("raw\\n")])
        #expect(try self.kinds("x # a comment\n+ y") == [.identifier("x"), .operator(.add), .identifier("y")])
    }

    @Test func errorsNameTheLineAndColumn() {
        #expect(throws: PromQLError.self) { try Lexer.tokens("up $") }
        do {
            _ = try Lexer.tokens("sum(x)\n  + \"open")
            Issue.record("no error")
        } catch {
            #expect(error.description == "2:5: parse error: unterminated quoted string")
        }
        #expect(throws: PromQLError.self) { try Lexer.tokens(#""\q""#) }
        #expect(throws: PromQLError.self) { try Lexer.tokens("1.2.3") }
    }
}
