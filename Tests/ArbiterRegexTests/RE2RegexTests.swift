import ArbiterRegex
import Foundation
import Testing

@Suite struct RE2RegexTests {
    @Test func nestedQuantifiersRunInLinearTime() throws {
        // A backtracking engine needs about 2^n steps for (a+)+b against n a's: past a year at 100,000.
        let regex = try RE2Regex("^(?:(a+)+b)$")
        let value = String(repeating: "a", count: 100_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!regex.matchesWhole(value))
            #expect(regex.matchesWhole(value + "b"))
        }
        // Linear work takes milliseconds; the bound holds on a loaded machine and no backtracker meets it.
        #expect(elapsed < .seconds(5))
    }

    @Test func refusesWhatGoRefuses() {
        for pattern in [#"(a)\1"#, "(?=a)", "(?!a)", "(?<=a)b", "a**", "(", "[z-a]", "x{1001}"] {
            #expect(throws: RE2Error.self, "\(pattern)") { try RE2Regex(pattern) }
        }
    }

    @Test func acceptsGoSyntax() throws {
        #expect(try RE2Regex(#"\d+"#).matchesWhole("123"))
        #expect(try RE2Regex("(?i)abc").matchesWhole("ABC"))
        #expect(try RE2Regex(#"\pL+"#).matchesWhole("héllo"))
        #expect(try RE2Regex("[[:alpha:]]+").matchesWhole("abc"))
        // `.` does not match a newline unless (?s) says so, as in Go.
        #expect(try !RE2Regex("a.b").matchesWhole("a\nb"))
        #expect(try RE2Regex("(?s)a.b").matchesWhole("a\nb"))
    }

    @Test func groupsByNumberAndName() throws {
        let regex = try RE2Regex("(?P<word>[a-z]+)-(\\d+)?")
        #expect(regex.groupCount == 2)
        #expect(regex.groupNames == [nil, "word", nil])
        let text = Array("xx abc- 7".utf8)
        let match = try #require(regex.firstMatch(in: text, from: 0))
        #expect(match.range == 0..<2 || match.range == 3..<7)
        let later = try #require(regex.firstMatch(in: text, from: 3))
        #expect(later.range == 3..<7)
        #expect(later.range(ofGroup: "word") == 3..<6)
        #expect(later.range(ofGroup: "1") == 3..<6)
        #expect(later.range(ofGroup: "2") == nil)
        #expect(later.range(ofGroup: "missing") == nil)
    }

    @Test func searchKeepsContextBeforeTheStart() throws {
        // `^` matches only at the start of the text, not at the start of the search.
        let regex = try RE2Regex("^b")
        #expect(regex.firstMatch(in: Array("ab".utf8), from: 1) == nil)
        let boundary = try RE2Regex(#"\bb"#)
        #expect(boundary.firstMatch(in: Array("ab".utf8), from: 1) == nil)
    }
}
