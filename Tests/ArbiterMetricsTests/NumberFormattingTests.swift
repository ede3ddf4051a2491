@testable import ArbiterMetrics
import Testing

/// Values are written byte-for-byte as the Go clients write them, so Prometheus and promtool read
/// exactly what was meant and diffs against a Go exporter stay empty.
@Suite struct NumberFormattingTests {
    static let cases: [(Double, String, String)] = [
        (0, "0", "0.0"),
        (-0.0, "0", "0.0"),
        (1, "1", "1.0"),
        (-1, "-1", "-1.0"),
        (42, "42", "42.0"),
        (123456, "123456", "123456.0"),
        (999999, "999999", "999999.0"),
        (1_000_000, "1e+06", "1e+06"),
        (1_234_567, "1.234567e+06", "1.234567e+06"),
        (0.1, "0.1", "0.1"),
        (0.25, "0.25", "0.25"),
        (2.5, "2.5", "2.5"),
        (0.0001, "0.0001", "0.0001"),
        (0.00001, "1e-05", "1e-05"),
        (0.000123, "0.000123", "0.000123"),
        (0.0000123, "1.23e-05", "1.23e-05"),
        (123456.789, "123456.789", "123456.789"),
        (1234567.891, "1.234567891e+06", "1.234567891e+06"),
        (-2.5e-7, "-2.5e-07", "-2.5e-07"),
        (1e21, "1e+21", "1e+21"),
        (1e100, "1e+100", "1e+100"),
        (9_007_199_254_740_992, "9.007199254740992e+15", "9.007199254740992e+15"),
        (Double(UInt64.max), "1.8446744073709552e+19", "1.8446744073709552e+19"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308", "1.7976931348623157e+308"),
        (Double.leastNonzeroMagnitude, "5e-324", "5e-324"),
        (0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"),
        (1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"),
        (.infinity, "+Inf", "+Inf"),
        (-.infinity, "-Inf", "-Inf"),
        (.nan, "NaN", "NaN"),
    ]

    @Test(arguments: cases)
    func formatsLikeGo(value: Double, text: String, openMetrics: String) {
        var out: [UInt8] = []
        NumberFormatting.appendText(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
        out.removeAll()
        NumberFormatting.appendOpenMetrics(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == openMetrics)
    }

    @Test func everyWrittenValueReadsBackExactly() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            var out: [UInt8] = []
            NumberFormatting.appendText(value, to: &out)
            let text = String(decoding: out, as: UTF8.self)
            #expect(Double(text) == value, "\(value) was written as \(text)")
        }
    }

    @Test func integersAreWrittenInFull() {
        var out: [UInt8] = []
        NumberFormatting.appendUnsigned(UInt64.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "18446744073709551615")
        out.removeAll()
        NumberFormatting.appendInteger(Int64.min, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "-9223372036854775808")
    }
}
