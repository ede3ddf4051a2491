import ArbiterPromQL
import Testing

@Suite("PromQL parser")
struct ParserTests {
    @Test("precedence: ^ is right-associative and binds tighter than unary minus")
    func precedence() throws {
        let engine = Engine()
        let head = TestHead.empty
        for (query, expected) in [("-2 ^ 2", -4.0), ("2 ^ 3 ^ 2", 512), ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 2 - 3", 5), ("2 * -1", -2)] {
            guard case .scalar(let value) = try engine.instant(try Parser.parse(query), at: 0, on: head) else {
                Issue.record("\(query) is not a scalar")
                continue
            }
            #expect(value == expected, "\(query)")
        }
    }

    @Test("errors name the line and column and say what is wrong", arguments: [
        ("sum(foo", "1:8: parse error: unexpected end of input, expected \")\" or \",\""),
        ("foo{a=\"b\"", "1:10: parse error: unexpected end of input, expected \"}\" or \",\" in label matching"),
        ("rate(foo)", "1:1: parse error: expected type range vector in call to function \"rate\", got instant vector"),
        ("nosuch(foo)", "1:1: parse error: unknown function with name \"nosuch\""),
        ("1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
        ("foo and 1", "1:5: parse error: set operator \"and\" not allowed in binary scalar expression"),
        ("{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
        ("foo offset 1m offset 2m", "1:15: parse error: offset may not be set multiple times"),
        ("(foo)[5m]", "1:6: parse error: ranges only allowed for vector selectors"),
        ("foo\n  + on(a) group_left(a) bar", "2:3: parse error: label \"a\" must not occur in ON and GROUP clause at once"),
        ("foo{a=~\"(\"}", "1:5: parse error: invalid regular expression \"(\""),
    ])
    func errors(query: String, message: String) {
        do {
            _ = try Parser.parse(query)
            Issue.record("\(query) parsed")
        } catch {
            #expect(error.description.hasPrefix(message), "\(query): \(error.description)")
        }
    }
}
