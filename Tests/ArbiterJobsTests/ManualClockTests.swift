import ArbiterCore
import ArbiterTesting
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ManualClockTests {
    @Test func readingsMoveOnlyWhenAdvanced() {
        let clock = ManualClock(wallMilliseconds: 5_000, monotonicMilliseconds: 7)
        #expect(clock.nowMilliseconds() == 5_000 && clock.monotonicMilliseconds() == 7)
        clock.advance(by: .milliseconds(1_500))
        #expect(clock.nowMilliseconds() == 6_500 && clock.monotonicMilliseconds() == 1_507)
        clock.stepWallClock(by: .seconds(-3))
        #expect(clock.nowMilliseconds() == 3_500 && clock.monotonicMilliseconds() == 1_507, "a wall-clock step leaves monotonic time alone")
    }

    @Test func sleepersWakeWhenTimeReachesTheirDeadline() async throws {
        let clock = ManualClock()
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for deadline: Int64 in [300, 100, 200] {
                group.addTask {
                    try await clock.sleep(untilMonotonic: deadline)
                    return deadline
                }
            }
            await clock.waitForSleepers(3)
            #expect(clock.nextDeadline == 100)
            clock.advance(by: .milliseconds(99))
            #expect(clock.sleepers == 3, "a millisecond early nobody wakes")
            clock.advance(by: .milliseconds(1))
            let first = try await group.next()
            #expect(first == 100 && clock.sleepers == 2)
            clock.advance(by: .milliseconds(200))
            var rest: Set<Int64> = []
            for try await deadline in group { rest.insert(deadline) }
            #expect(rest == [200, 300])
        }
    }

    @Test func aDeadlineAlreadyPassedReturnsAtOnce() async throws {
        let clock = ManualClock(monotonicMilliseconds: 50)
        try await clock.sleep(untilMonotonic: 50)
        try await clock.sleep(for: .zero)
        #expect(clock.sleepers == 0)
    }

    @Test func cancellingASleeperEndsItsSleep() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers()
        sleeper.cancel()
        let result = await sleeper.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(clock.sleepers == 0)
    }
}
