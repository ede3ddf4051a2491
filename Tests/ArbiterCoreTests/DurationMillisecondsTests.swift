import ArbiterCore
import Testing

@Suite struct DurationMillisecondsTests {
    @Test func wholeMillisecondsSaturatesInsteadOfTrapping() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Duration.seconds(Int64.min).wholeMilliseconds == .min)
        #expect(PrometheusDuration.format(.seconds(Int64.max)).hasSuffix("ms"))
    }

    @Test func durationsPastGosLimitAreRefused() {
        #expect(PrometheusDuration.parse("292y") != nil)
        for text in ["293y", "9223372036854775807ms", "9223372036854775s", "15250284452w", "292471208y", "106751d23h47m16s855ms"] {
            #expect(PrometheusDuration.parse(text) == nil, "\(text)")
        }
    }
}
