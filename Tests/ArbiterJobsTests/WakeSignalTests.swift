import ArbiterJobs
import Testing

@Suite("WakeSignal")
struct WakeSignalTests {
    @Test("a waiter wakes at the signal, not at its timeout")
    func wakesOnSignal() async {
        let signal = WakeSignal()
        let generation = signal.generation
        let started = ContinuousClock.now
        async let waited: Void = signal.wait(after: generation, timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(50))
        signal.signal()
        await waited
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("a signal between reading the generation and waiting is not missed")
    func signalBeforeWait() async {
        let signal = WakeSignal()
        let generation = signal.generation
        signal.signal()
        let started = ContinuousClock.now
        await signal.wait(after: generation, timeout: .seconds(60))
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test("without a signal the wait ends at its timeout")
    func timesOut() async {
        let signal = WakeSignal()
        let started = ContinuousClock.now
        await signal.wait(after: signal.generation, timeout: .milliseconds(100))
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(30))
    }
}
