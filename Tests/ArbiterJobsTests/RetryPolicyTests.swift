import ArbiterJobs
import Testing

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(60), timeout: .seconds(30))

    @Test func capsGrowExponentiallyUpToTheMaximum() {
        #expect(self.policy.backoffCap(afterAttempt: 1) == .seconds(1))
        #expect(self.policy.backoffCap(afterAttempt: 2) == .seconds(2))
        #expect(self.policy.backoffCap(afterAttempt: 4) == .seconds(8))
        #expect(self.policy.backoffCap(afterAttempt: 7) == .seconds(60))
        #expect(self.policy.backoffCap(afterAttempt: 1000) == .seconds(60))
    }

    @Test func delaysAreFullJitterWithinTheCap() {
        var generator = SystemRandomNumberGenerator()
        var delays: [Duration] = []
        for _ in 0..<2000 {
            delays.append(self.policy.delay(afterAttempt: 3, using: &generator))
        }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .seconds(4) })
        // Spread over the whole range, not bunched at the cap.
        #expect(delays.contains { $0 < .seconds(1) })
        #expect(delays.contains { $0 > .seconds(3) })
    }

    @Test func zeroBackoffMeansImmediateRetry() {
        var generator = SystemRandomNumberGenerator()
        let immediate = RetryPolicy(maxAttempts: 3, initialBackoff: .zero, maxBackoff: .zero, timeout: .seconds(1))
        #expect(immediate.delay(afterAttempt: 2, using: &generator) == .zero)
    }
}
