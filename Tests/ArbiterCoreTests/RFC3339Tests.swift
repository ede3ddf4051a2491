import ArbiterCore
import Foundation
import Testing

@Suite struct RFC3339Tests {
    @Test func knownInstants() {
        #expect(RFC3339.format(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(milliseconds: 1_795_572_470_676) == "2026-11-25T02:07:50.676Z")
        #expect(RFC3339.format(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339.format(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(RFC3339.format(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
    }

    @Test func agreesWithFoundationOverManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(RFC3339.format(milliseconds: milliseconds) == expected, "\(milliseconds)")
        }
    }

    @Test func parsesWhatItFormats() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let milliseconds = Int64.random(in: -62_167_219_200_000...253_402_300_799_999, using: &generator)
            #expect(try RFC3339.milliseconds(from: RFC3339.format(milliseconds: milliseconds)) == milliseconds, "\(milliseconds)")
        }
    }

    @Test func readsOffsetsFractionsAndLowerCase() throws {
        let instant: Int64 = 1_795_572_470_676
        #expect(try RFC3339.milliseconds(from: "2026-11-25T02:07:50.676Z") == instant)
        #expect(try RFC3339.milliseconds(from: "2026-11-25T03:07:50.676+01:00") == instant)
        #expect(try RFC3339.milliseconds(from: "2026-11-24T21:37:50.676-04:30") == instant)
        #expect(try RFC3339.milliseconds(from: "2026-11-25t02:07:50.676z") == instant)
        #expect(try RFC3339.milliseconds(from: "2026-11-25T02:07:50.676999999Z") == instant, "digits past the millisecond are dropped")
        #expect(try RFC3339.milliseconds(from: "2026-11-25T02:07:50.6Z") == instant - 76)
        #expect(try RFC3339.milliseconds(from: "2026-11-25T02:07:50Z") == instant - 676)
        #expect(try RFC3339.milliseconds(from: "1969-12-31T23:59:59.999Z") == -1)
        #expect(try RFC3339.milliseconds(from: "0000-01-01T00:00:00Z") == -62_167_219_200_000)
        #expect(try RFC3339.milliseconds(from: "9999-12-31T23:59:59.999Z") == 253_402_300_799_999)
        #expect(try RFC3339.milliseconds(from: "2000-02-29T00:00:00Z") == 951_782_400_000)
        #expect(try RFC3339.milliseconds(from: "2024-02-29T12:00:00-00:00") == 1_709_208_000_000)
    }

    @Test func refusesDatesThatDoNotExist() {
        let cases: [(String, String)] = [
            ("2026-02-30T00:00:00Z", "February 2026 has no day 30"),
            ("2026-02-29T00:00:00Z", "February 2026 has no day 29"),
            ("1900-02-29T00:00:00Z", "February 1900 has no day 29"),
            ("2026-04-31T00:00:00Z", "April 2026 has no day 31"),
            ("2026-01-00T00:00:00Z", "January 2026 has no day 0"),
            ("2026-13-01T00:00:00Z", "month 13 does not exist"),
            ("2026-00-01T00:00:00Z", "month 0 does not exist"),
            ("2026-01-01T24:00:00Z", "hour 24 does not exist"),
            ("2026-01-01T00:60:00Z", "minute 60 does not exist"),
            ("2026-12-31T23:59:60Z", "leap seconds"),
            ("2026-01-01T00:00:00+24:00", "at most ±23:59"),
            ("9999-12-31T23:59:59.999-00:01", "outside the years 0000 to 9999"),
            ("0000-01-01T00:00:00+00:01", "outside the years 0000 to 9999"),
        ]
        for (text, reason) in cases {
            #expect(throws: RFC3339.ParseError.self, "\(text)") { try RFC3339.milliseconds(from: text) }
            do {
                _ = try RFC3339.milliseconds(from: text)
            } catch {
                #expect(error.message.contains(reason), "\(text): \(error.message)")
            }
        }
    }

    @Test func refusesWhatIsNotRFC3339() {
        for text in [
            "", "20260-01-01T00:00:00Z", "+2026-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "226-01-01T00:00:00Z", "2026-1-01T00:00:00Z",
            "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00Z", "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0100", "2026-01-01T00:00:00+01", "2026-01-01T00:00:00Zjunk", " 2026-01-01T00:00:00Z", "2026-01-01T00:00:00 Z",
            "１９７０-01-01T00:00:00Z", "1700000000",
        ] {
            #expect(throws: RFC3339.ParseError.self, "\(text)") { try RFC3339.milliseconds(from: text) }
        }
    }
}
