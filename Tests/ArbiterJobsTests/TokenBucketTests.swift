import ArbiterJobs
import ArbiterTesting
import Testing

@Suite struct TokenBucketTests {
    let tenPerSecond = RateLimit(count: 10, per: .seconds(1))

    @Test func aFullBucketAllowsOnePeriodsCountAtOnce() {
        var bucket = TokenBucket(rate: self.tenPerSecond, now: 0)
        #expect(bucket.take(upTo: 25, now: 0) == 10)
        #expect(bucket.take(upTo: 1, now: 0) == 0)
    }

    @Test func tokensRefillAtTheRate() {
        var bucket = TokenBucket(rate: self.tenPerSecond, now: 0)
        _ = bucket.take(upTo: 10, now: 0)
        #expect(bucket.take(upTo: 10, now: 99) == 0, "0.99 tokens after 99 ms")
        #expect(bucket.take(upTo: 10, now: 100) == 1)
        #expect(bucket.take(upTo: 10, now: 600) == 5)
        #expect(bucket.take(upTo: 100, now: 60_000) == 10, "never more than the capacity")
    }

    @Test func refundsGoBackButNotPastCapacity() {
        var bucket = TokenBucket(rate: self.tenPerSecond, now: 0)
        _ = bucket.take(upTo: 4, now: 0)
        bucket.refund(10)
        #expect(bucket.take(upTo: 100, now: 0) == 10)
    }

    @Test func slowRatesStillAllowOneAtATime() {
        let rate = RateLimit(count: 0.5, per: .seconds(1))
        var bucket = TokenBucket(rate: rate, now: 0)
        #expect(bucket.take(upTo: 5, now: 0) == 1, "capacity is at least one")
        #expect(bucket.millisecondsUntilNextToken(now: 0) == 2000)
        #expect(bucket.take(upTo: 5, now: 1999) == 0)
        #expect(bucket.take(upTo: 5, now: 2000) == 1)
    }

    @Test func perMinuteAndPerHourRates() {
        var minute = TokenBucket(rate: RateLimit(parsing: "20/m")!, now: 0)
        #expect(minute.take(upTo: 50, now: 0) == 20)
        #expect(minute.take(upTo: 50, now: 3000) == 1, "one token every 3 s")
        var hour = TokenBucket(rate: RateLimit(parsing: "5000/h")!, now: 0)
        #expect(hour.take(upTo: 6000, now: 0) == 5000)
    }

    @Test func theLimiterReservesOnlyForLimitedTypesAndTakesRefunds() {
        let limiter = RateLimiter(limits: ["email": RateLimit(count: 3, per: .seconds(1))], now: 0)
        let quotas = limiter.reserve(types: ["email", "sms"], wanted: 5, now: 0)
        #expect(quotas == ["email": 3], "sms has no limit and gets no quota entry")
        #expect(limiter.reserve(types: ["email"], wanted: 5, now: 0) == ["email": 0])
        limiter.refund(["email": 2])
        #expect(limiter.reserve(types: ["email"], wanted: 5, now: 0) == ["email": 2])
        #expect(limiter.nextToken(types: ["email"], now: 0) == 334)
        #expect(limiter.nextToken(types: ["sms"], now: 0) == nil)
    }

    @Test func theLimiterRefillsOnItsClock() {
        let clock = ManualClock(monotonicMilliseconds: 1_000)
        let limiter = RateLimiter(limits: ["email": RateLimit(count: 3, per: .seconds(1))], clock: clock)
        let burst = limiter.reserve(types: ["email"], wanted: 5)
        #expect(burst == ["email": 3])
        #expect(limiter.nextToken(types: ["email"]) == 334)
        clock.advance(by: .milliseconds(333))
        let early = limiter.reserve(types: ["email"], wanted: 5)
        #expect(early == ["email": 0], "0.999 tokens after 333 ms")
        clock.advance(by: .milliseconds(1))
        let refilled = limiter.reserve(types: ["email"], wanted: 5)
        #expect(refilled == ["email": 1])
        clock.stepWallClock(by: .seconds(3600))
        let afterStep = limiter.reserve(types: ["email"], wanted: 5)
        #expect(afterStep == ["email": 0], "a wall-clock step refills nothing")
    }
}
