import ArbiterJobs
import Testing

@Suite struct RateLimitTests {
    @Test func parsesCountsPerSecondMinuteAndHour() {
        #expect(RateLimit(parsing: "10/s")?.perSecond == 10)
        #expect(RateLimit(parsing: "600/m")?.perSecond == 10)
        #expect(RateLimit(parsing: "2.5/s")?.description == "2.5/s")
        #expect(RateLimit(parsing: "3600/h")?.perSecond == 1)
        for bad in ["", "10", "10/d", "-1/s", "0/s", "x/s", "10/s/s"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
    }
}
