import ArbiterJobs
import Testing

/// The circuit breaker, every (state, event) pair.
@Suite struct CircuitBreakerTests {
    func halfOpen(probes: Int = 3) -> CircuitBreaker {
        var breaker = CircuitBreaker(probeSize: probes)
        _ = breaker.alertFired()
        _ = breaker.alertResolved()
        return breaker
    }

    @Test func closedLetsEverythingThroughAndOpensWhenTheAlertFires() {
        var breaker = CircuitBreaker(probeSize: 3)
        #expect({ breaker.admit() }() && { breaker.admit() }())
        #expect({ breaker.alertResolved() }() == nil && breaker.state == .closed)
        #expect({ breaker.probeFinished(succeeded: false) }() == nil && breaker.state == .closed, "a stale report changes nothing")
        #expect({ breaker.alertFired() }() == .opened && breaker.state == .open)
    }

    @Test func openLetsNothingThroughUntilTheAlertResolves() {
        var breaker = CircuitBreaker(probeSize: 3)
        _ = breaker.alertFired()
        #expect(!{ breaker.admit() }())
        #expect({ breaker.alertFired() }() == nil, "still firing")
        #expect({ breaker.probeFinished(succeeded: true) }() == nil && breaker.state == .open)
        #expect({ breaker.alertResolved() }() == .halfOpened && breaker.state == .halfOpen(admitted: 0, succeeded: 0))
    }

    @Test func halfOpenAdmitsExactlyTheProbes() {
        var breaker = self.halfOpen(probes: 3)
        #expect([{ breaker.admit() }(), { breaker.admit() }(), { breaker.admit() }(), { breaker.admit() }(), { breaker.admit() }()] == [true, true, true, false, false])
        #expect(breaker.state == .halfOpen(admitted: 3, succeeded: 0))
    }

    @Test func allProbesSucceedingCloses() {
        var breaker = self.halfOpen(probes: 3)
        for _ in 0..<3 { _ = breaker.admit() }
        #expect({ breaker.probeFinished(succeeded: true) }() == nil)
        #expect({ breaker.probeFinished(succeeded: true) }() == nil)
        #expect({ breaker.probeFinished(succeeded: true) }() == .closed && breaker.state == .closed)
        #expect({ breaker.admit() }())
    }

    @Test func oneProbeFailingReopens() {
        var breaker = self.halfOpen(probes: 3)
        for _ in 0..<3 { _ = breaker.admit() }
        _ = breaker.probeFinished(succeeded: true)
        #expect({ breaker.probeFinished(succeeded: false) }() == .reopened && breaker.state == .open)
        #expect(!{ breaker.admit() }())
        // The next resolution gives a fresh set of probes.
        #expect({ breaker.alertResolved() }() == .halfOpened && breaker.state == .halfOpen(admitted: 0, succeeded: 0))
    }

    @Test func aBreakerAFailedProbeReopenedProbesAgainAfterTheCooldownUnlessTheAlertFires() {
        var breaker = self.halfOpen(probes: 1)
        _ = breaker.admit()
        #expect({ breaker.probeFinished(succeeded: false, at: 1_000) }() == .reopened)
        #expect({ breaker.probeAgain(now: 1_000 + CircuitBreaker.reopenCooldown - 1) }() == nil && breaker.state == .open)
        #expect({ breaker.probeAgain(now: 1_000 + CircuitBreaker.reopenCooldown) }() == .halfOpened)
        #expect(breaker.state == .halfOpen(admitted: 0, succeeded: 0))
        _ = breaker.admit()
        _ = breaker.probeFinished(succeeded: false, at: 5_000)
        // The alert fired again: its resolution, not the cooldown, decides.
        _ = breaker.alertFired()
        #expect({ breaker.probeAgain(now: 5_000 + CircuitBreaker.reopenCooldown) }() == nil && breaker.state == .open)
    }

    @Test func theAlertFiringAgainWhileHalfOpenReopens() {
        var breaker = self.halfOpen()
        _ = breaker.admit()
        #expect({ breaker.alertFired() }() == .reopened && breaker.state == .open)
        #expect({ breaker.alertResolved() }() == .halfOpened)
        #expect({ breaker.alertResolved() }() == nil, "resolving twice changes nothing")
    }

    @Test func probesAreAdmittedInPartAndGivenBack() {
        var breaker = self.halfOpen(probes: 3)
        #expect({ breaker.admit(upTo: 5) }() == 3 && { breaker.admit(upTo: 5) }() == 0)
        breaker.returnProbes(2)
        #expect(breaker.available == 2 && { breaker.admit(upTo: 1) }() == 1)
        _ = breaker.probeFinished(succeeded: true)
        breaker.returnProbes(5)
        #expect(breaker.state == .halfOpen(admitted: 1, succeeded: 1), "a probe that finished is not given back")
    }

    @Test func aProbeOfAnEarlierHalfOpenRoundChangesNothing() {
        var breaker = self.halfOpen(probes: 1)
        let first = breaker.trial
        _ = breaker.admit()
        #expect({ breaker.alertFired() }() == .reopened)
        #expect({ breaker.alertResolved() }() == .halfOpened && breaker.trial == first + 1)
        // The first round's probe ends late: it neither closes the new round nor takes its place.
        #expect({ breaker.probeFinished(succeeded: true, trial: first) }() == nil && breaker.state == .halfOpen(admitted: 0, succeeded: 0))
        #expect({ breaker.probeFinished(succeeded: false, trial: first) }() == nil && breaker.state == .halfOpen(admitted: 0, succeeded: 0))
        _ = breaker.admit()
        breaker.returnProbes(1, trial: first)
        #expect(breaker.available == 0)
        #expect({ breaker.probeFinished(succeeded: true, trial: first + 1) }() == .closed)
    }

    @Test func anOverrideBetweenTwoHalfOpenRoundsStartsANewOne() {
        var breaker = self.halfOpen(probes: 2)
        let first = breaker.trial
        _ = breaker.admit(upTo: 2)
        breaker.setOverride(.forceOpen(until: nil))
        #expect(breaker.available == 0 && { breaker.probeFinished(succeeded: true, trial: first) }() == nil)
        breaker.setOverride(nil)
        #expect(breaker.state == .halfOpen(admitted: 0, succeeded: 0) && breaker.trial == first + 1)
        #expect(!{ breaker.expire(now: 0) }(), "nothing to expire without an override")
    }

    @Test func aProbeSizeBelowOneIsOne() {
        var breaker = self.halfOpen(probes: 0)
        #expect(breaker.probeSize == 1 && { breaker.admit() }() && !{ breaker.admit() }())
        #expect({ breaker.probeFinished(succeeded: true) }() == .closed)
    }

    @Test func forceOpenStopsDispatchWhateverTheAlertsDoUntilItExpires() {
        var breaker = CircuitBreaker(probeSize: 2)
        breaker.setOverride(.forceOpen(until: 1000))
        #expect(breaker.effectiveState == .open && !{ breaker.admit() }())
        #expect({ breaker.alertFired() }() == nil && { breaker.alertResolved() }() == nil, "alerts are recorded, not acted on")
        #expect(!{ breaker.expire(now: 999) }() && { breaker.expire(now: 1000) }())
        #expect(breaker.override == nil && breaker.state == .closed && { breaker.admit() }())
    }

    @Test func forceCloseLetsWorkThroughWhileTheAlertFiresAndFollowsItAfterwards() {
        var breaker = CircuitBreaker(probeSize: 2)
        _ = breaker.alertFired()
        breaker.setOverride(.forceClose(until: nil))
        #expect(breaker.effectiveState == .closed && { breaker.admit() }())
        #expect({ breaker.probeFinished(succeeded: false) }() == nil)
        #expect(!{ breaker.expire(now: .max) }(), "no end: only lifted by hand")
        breaker.setOverride(nil)
        #expect(breaker.state == .open, "the alert still fires")
    }

    @Test func liftingAnOverrideAfterTheAlertResolvedHalfOpens() {
        var breaker = CircuitBreaker(probeSize: 2)
        _ = breaker.alertFired()
        breaker.setOverride(.forceOpen(until: nil))
        _ = breaker.alertResolved()
        breaker.setOverride(nil)
        #expect(breaker.state == .halfOpen(admitted: 0, succeeded: 0))
    }

    @Test func stateNames() {
        #expect([CircuitBreaker.State.closed, .open, .halfOpen(admitted: 1, succeeded: 0)].map(\.name) == ["closed", "open", "half_open"])
    }
}
