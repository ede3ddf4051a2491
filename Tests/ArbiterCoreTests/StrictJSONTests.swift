import ArbiterCore
import Foundation
import Testing

/// The check every JSON request body passes before it is parsed: exactly RFC 8259, iterative and
/// linear, with a nesting bound.
@Suite struct StrictJSONTests {
    func refusal(_ text: String, maxDepth: Int = StrictJSON.defaultMaxDepth) -> StrictJSON.SyntaxError? {
        self.refusal(Array(text.utf8), maxDepth: maxDepth)
    }

    func refusal(_ bytes: [UInt8], maxDepth: Int = StrictJSON.defaultMaxDepth) -> StrictJSON.SyntaxError? {
        do {
            try StrictJSON.validate(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsJSON() {
        for text in [
            #"{"type":"x","payload":1}"#, "[]", "{}", " [ 1 , 2 ] ", "\t\r\n{}\n", "0", "-0", "1.5e+10", "-2E-3", "123456789012345678901234567890",
            #""a\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00""#, "\"é ✓ 😀\"", "true", "false", "null",
            #"{"a":[1,{"b":null,"c":[true,false]}],"d":{"e":"f"},"":0}"#, #"{"a":1,"a":2}"#,
        ] {
            #expect(self.refusal(text) == nil, "\(text)")
        }
    }

    @Test func refusesWhatParsersAcceptBeyondTheRFC() {
        let cases: [(String, String)] = [
            (#"{"type":"x","payload":1,}"#, "trailing comma"),
            ("[1,2,]", "trailing comma"),
            ("[1,,2]", "unexpected character ,"),
            ("{,}", "member name"),
            ("// note\n{}", "comments"),
            ("{} /* note */", "comments"),
            (#"{"a":1 /* note */}"#, "comments"),
            ("NaN", "NaN and Infinity"),
            ("[Infinity]", "NaN and Infinity"),
            ("-Infinity", "NaN and Infinity"),
            ("{'a':1}", "double quotes"),
            ("['a']", "double quotes"),
            ("{a:1}", "double quotes"),
            ("01", "leading zeros"),
            ("-01", "leading zeros"),
            (".5", "unexpected character ."),
            ("1.", "decimal point"),
            ("1e", "exponent"),
            ("+1", "unexpected character +"),
            ("0x10", "unexpected text"),
            ("\"a\tb\"", "control characters"),
            (#""\x41""#, "escape"),
            (#""\u12""#, "four hexadecimal digits"),
            (#""\uD83D""#, "low surrogate"),
            (#""\uDE00""#, "high surrogate"),
            ("\"open", "not closed"),
            ("", "empty"),
            ("   ", "ends"),
            ("[1", "inside an array"),
            (#"{"a":1"#, "inside an object"),
            (#"{"a" 1}"#, "expected :"),
            (#"{"a":1 "b":2}"#, "expected , or }"),
            ("[1 2]", "expected , or ]"),
            ("{} {}", "unexpected text after"),
            ("tru", "expected true"),
            ("nul", "expected null"),
            ("undefined", "unexpected character u"),
        ]
        for (text, reason) in cases {
            let error = self.refusal(text)
            #expect(error?.message.contains(reason) == true, "\(text): \(String(describing: error))")
        }
    }

    @Test func refusesInvalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // a UTF-16 surrogate encoded
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],  // cut short
            [0x22, 0xFF, 0x22],
            [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],  // a byte order mark
        ] {
            #expect(self.refusal(bytes) != nil, "\(bytes)")
        }
    }

    @Test func namesTheOffendingByte() {
        #expect(self.refusal(#"{"type":"x","payload":1,}"#)?.offset == 24)
        #expect(self.refusal("[1, 2, x]")?.offset == 7)
    }

    @Test func boundsTheNesting() {
        #expect(self.refusal("[[[]]]", maxDepth: 3) == nil)
        #expect(self.refusal("[[[[]]]]", maxDepth: 3)?.message.contains("deeper than 3 levels") == true)
        #expect(self.refusal(#"{"a":{"b":{"c":1}}}"#, maxDepth: 3) == nil)
        #expect(self.refusal(#"{"a":{"b":{"c":{}}}}"#, maxDepth: 3) != nil)
        let bound = StrictJSON.defaultMaxDepth
        #expect(self.refusal(String(repeating: "[", count: bound) + String(repeating: "]", count: bound)) == nil)
        #expect(self.refusal(String(repeating: "[", count: bound + 1) + String(repeating: "]", count: bound + 1)) != nil)
        // Ten times the bound, and far beyond: refused at the bound, without recursion.
        for depth in [bound * 10, 1_000_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(self.refusal(deep)?.offset == bound)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(self.refusal(objects) != nil)
        }
    }

    @Test func whatItAcceptsFoundationParsesAlike() throws {
        let text = #"{"n":[1,-2.5,3e2],"s":"\u00e9\n","b":true,"z":null,"o":{"k":"v"}}"#
        #expect(self.refusal(text) == nil)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["s"] as? String == "é\n" && (parsed["o"] as? [String: String])?["k"] == "v")
    }

    @Test func timeIsLinearInTheInput() {
        // A megabyte of a long flat array: far under a second even unoptimised.
        let flat = "[" + Array(repeating: "12345.5e-3", count: 100_000).joined(separator: ",") + "]"
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(self.refusal(flat) == nil) }
        #expect(elapsed < .seconds(5))
    }
}
