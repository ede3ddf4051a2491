import ArbiterJobs
import ArbiterTesting
import Testing

/// The lockout's window and duration on a ``ManualClock``: exact to the millisecond.
@Suite struct AuthLockoutTests {
    let clock = ManualClock()

    func lockout(coordination: (any Coordination)? = nil) -> AuthLockout {
        AuthLockout(policy: .init(failures: 3, window: .seconds(60), duration: .seconds(300)), clock: self.clock, coordination: coordination)
    }

    /// Records `count` failures from `address`; the lockout the last one started, if it did.
    func fail(_ lockout: AuthLockout, _ address: String = "10.0.0.1", times count: Int) -> Duration? {
        var started: Duration?
        for _ in 0..<count { started = lockout.recordFailure(address) }
        return started
    }

    @Test func moreFailuresThanAllowedWithinTheWindowLockOutForTheDuration() {
        let lockout = self.lockout()
        let allowed = self.fail(lockout, times: 3)
        #expect(allowed == nil && lockout.retryAfter("10.0.0.1") == nil, "three failures are allowed")
        let started = lockout.recordFailure("10.0.0.1")
        #expect(started == .seconds(300))
        #expect(lockout.retryAfter("10.0.0.1") == .seconds(300))
        #expect(lockout.retryAfter("10.0.0.2") == nil, "other addresses may try")
        self.clock.advance(by: .seconds(300) - .milliseconds(1))
        #expect(lockout.retryAfter("10.0.0.1") == .milliseconds(1))
        self.clock.advance(by: .milliseconds(1))
        #expect(lockout.retryAfter("10.0.0.1") == nil, "the lockout ends exactly after its duration")
    }

    @Test func failuresOlderThanTheWindowNoLongerCount() {
        let lockout = self.lockout()
        _ = lockout.recordFailure("10.0.0.1")
        self.clock.advance(by: .seconds(1))
        _ = self.fail(lockout, times: 2)
        // The first failure leaves the window exactly 60 s after it.
        self.clock.advance(by: .seconds(59))
        let fourth = lockout.recordFailure("10.0.0.1")
        #expect(fourth == nil && lockout.retryAfter("10.0.0.1") == nil, "only three failures are within the window")
        self.clock.advance(by: .seconds(1) - .milliseconds(1))
        let fifth = lockout.recordFailure("10.0.0.1")
        #expect(fifth == .seconds(300), "four within the window: the two from 59.999 s ago still count")
    }

    @Test func aSuccessForgetsFailuresButNotALockout() {
        let lockout = self.lockout()
        _ = self.fail(lockout, times: 3)
        lockout.recordSuccess("10.0.0.1")
        let afterSuccess = lockout.recordFailure("10.0.0.1")
        #expect(afterSuccess == nil, "the earlier failures were forgotten")
        _ = self.fail(lockout, times: 3)
        #expect(lockout.retryAfter("10.0.0.1") == .seconds(300))
        lockout.recordSuccess("10.0.0.1")
        #expect(lockout.retryAfter("10.0.0.1") == .seconds(300), "a success does not lift a lockout")
    }

    @Test func lockoutsOnOneCoordinationAreShared() {
        let coordination = LocalCoordination(clock: self.clock)
        let first = self.lockout(coordination: coordination)
        let second = self.lockout(coordination: coordination)
        _ = self.fail(first, times: 2)
        let started = self.fail(second, times: 2)
        #expect(started == .seconds(300), "failures seen by either count together")
        #expect(first.retryAfter("10.0.0.1") == .seconds(300))
        #expect(self.lockout().retryAfter("10.0.0.1") == nil, "a lockout with a coordination of its own shares nothing")
    }
}
