import ArbiterJobs
import ArbiterTesting
import Testing

/// The wait's timeout runs on a ``ManualClock``: a wait ends by a signal or by the clock reaching
/// its deadline, never by how long the machine took.
@Suite("WakeSignal", .timeLimit(.minutes(1)))
struct WakeSignalTests {
    @Test("a waiter wakes at the signal, not at its timeout")
    func wakesOnSignal() async {
        let clock = ManualClock()
        let signal = WakeSignal(clock: clock)
        let generation = signal.generation
        async let waited: Void = signal.wait(after: generation, timeout: .seconds(60))
        // The timeout is asleep on the clock, which never moves: only the signal can end the wait.
        await clock.waitForSleepers()
        signal.signal()
        await waited
        #expect(clock.sleepers == 0, "the timeout was cancelled with the wait")
    }

    @Test("a signal between reading the generation and waiting is not missed")
    func signalBeforeWait() async {
        let clock = ManualClock()
        let signal = WakeSignal(clock: clock)
        let generation = signal.generation
        signal.signal()
        await signal.wait(after: generation, timeout: .seconds(60))
        #expect(clock.monotonicMilliseconds() == 0 && clock.sleepers == 0)
    }

    @Test("without a signal the wait ends exactly at its timeout")
    func timesOut() async {
        let clock = ManualClock()
        let signal = WakeSignal(clock: clock)
        async let waited: Void = signal.wait(after: signal.generation, timeout: .milliseconds(100))
        await clock.waitForSleepers()
        #expect(clock.nextDeadline == 100)
        clock.advance(by: .milliseconds(99))
        #expect(clock.sleepers == 1, "a millisecond early the wait goes on")
        clock.advance(by: .milliseconds(1))
        await waited
        #expect(clock.sleepers == 0)
    }
}
