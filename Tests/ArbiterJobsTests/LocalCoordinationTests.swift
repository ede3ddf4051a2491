import ArbiterJobs
import ArbiterTesting
import Testing

@Suite struct LocalCoordinationTests {
    @Test func noticesAreTakenOnceByTheirWorkerAndALaterOneReplacesAnEarlier() {
        let coordination = LocalCoordination(clock: ManualClock())
        coordination.postCancelNotices([
            ("w1", CancelNotice(jobID: "b", reason: "cancelled", leaseToken: 1)),
            ("w1", CancelNotice(jobID: "a", reason: "cancelled", leaseToken: 2)),
            ("w2", CancelNotice(jobID: "c", reason: "cancelled", leaseToken: 3)),
        ])
        coordination.postCancelNotices([("w1", CancelNotice(jobID: "b", reason: CancelNotice.leaseExpired, leaseToken: 4))])
        let first = coordination.takeCancelNotices(workerID: "w1")
        #expect(first.map(\.jobID) == ["a", "b"] && first.last?.leaseToken == 4)
        let again = coordination.takeCancelNotices(workerID: "w1")
        #expect(again.isEmpty, "each notice is delivered once")
        coordination.dropCancelNotices(workerIDs: ["w2"])
        let dropped = coordination.takeCancelNotices(workerID: "w2")
        #expect(dropped.isEmpty)
    }

    @Test func startsAreLimitedAtTheRatesTheCallerNames() {
        let clock = ManualClock()
        let coordination = LocalCoordination(clock: clock)
        let limits = ["mail": RateLimit(count: 2, per: .seconds(1))]
        let first = coordination.reserveStarts(types: ["mail", "sms"], wanted: 5, limits: limits, now: 0)
        #expect(first == ["mail": 2], "a type's bucket starts full; unlimited types get no quota")
        coordination.refundStarts(["mail": 1])
        let refunded = coordination.reserveStarts(types: ["mail"], wanted: 5, limits: limits, now: 0)
        #expect(refunded == ["mail": 1])
        #expect(coordination.millisecondsUntilNextStart(types: ["mail", "sms"], limits: limits, now: 0) == 500)
        let refilled = coordination.reserveStarts(types: ["mail"], wanted: 5, limits: limits, now: 500)
        #expect(refilled == ["mail": 1])
        let faster = ["mail": RateLimit(count: 10, per: .seconds(1))]
        let changed = coordination.reserveStarts(types: ["mail"], wanted: 20, limits: faster, now: 500)
        #expect(changed == ["mail": 10], "a new rate starts with a full bucket")
    }

    @Test func steeringChangesWakeTheDispatchLoopsAndAreStampedByTheClock() throws {
        let clock = ManualClock(wallMilliseconds: 42_000)
        let coordination = LocalCoordination(clock: clock)
        let before = coordination.wake.generation
        let action = try #require(try SteeringAction(alertLabels: ["arbiter_action": "shed", "job_type": "build"]))
        coordination.steering.update([SteeringBoard.Activation(action: action, driver: .rule("r"), alertName: "Test")], external: false)
        #expect(coordination.wake.generation != before)
        #expect(coordination.steering.shedding(jobType: "build")?.since == 42_000)
    }
}
