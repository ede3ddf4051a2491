@testable import ArbiterRedis
import Testing

/// The wait between connection attempts doubles from the first delay up to the limit, and a success
/// starts it over.
@Suite struct ReconnectBackoffTests {
    let failure = RedisError(kind: .connection, message: "refused")

    @Test func theDelayDoublesUpToTheLimit() {
        let backoff = ReconnectBackoff(firstDelay: .milliseconds(100), maxDelay: .seconds(2))
        let delays = (1...7).map { backoff.delay(afterFailures: $0) }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .seconds(2), .seconds(2)])
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(2))
    }

    @Test func attemptsWaitOutTheDelayAndASuccessStartsOver() {
        var backoff = ReconnectBackoff(firstDelay: .milliseconds(100), maxDelay: .seconds(2))
        let now = ContinuousClock.now
        #expect(backoff.remaining(at: now) == nil)
        #expect(backoff.failed(self.failure, at: now) == .milliseconds(100))
        #expect(backoff.remaining(at: now) == .milliseconds(100))
        #expect(backoff.remaining(at: now + .milliseconds(100)) == nil)
        #expect(backoff.failed(self.failure, at: now) == .milliseconds(200))
        #expect(backoff.lastFailure?.message == "refused")
        backoff.succeeded()
        #expect(backoff.remaining(at: now) == nil)
        #expect(backoff.lastFailure == nil)
        #expect(backoff.failed(self.failure, at: now) == .milliseconds(100))
    }
}
