import ArbiterJobs
import Testing

/// Every (state, event) pair, with attempts left and without: the resulting state and actions, or a
/// refusal that leaves the job as it was.
@Suite struct JobLifecycleTests {
    typealias Action = JobLifecycle.Action

    /// The expected outcome for a job in `state` that has used 2 of 3 attempts (`attemptsLeft`) or all 3.
    /// A job with no attempts left cannot be leased again.
    static func expected(_ state: JobState, _ event: JobEvent, attemptsLeft: Bool) -> (JobState, [Action])? {
        let used = attemptsLeft ? 2 : 3
        switch (state, event) {
        case (.scheduled, .runAtReached): return (.queued, [])
        case (.queued, .leased): return attemptsLeft ? (.running, [.startAttempt(number: used + 1)]) : nil
        case (.running, .succeeded): return (.succeeded, [.releaseLease, .finish(.succeeded)])
        case (.running, .failed):
            return attemptsLeft ? (.scheduled, [.releaseLease, .scheduleRetry(afterAttempt: used)]) : (.dead, [.releaseLease, .finish(.dead)])
        case (.running, .leaseExpired):
            return attemptsLeft ? (.queued, [.releaseLease]) : (.dead, [.releaseLease, .finish(.dead)])
        case (.scheduled, .cancel), (.queued, .cancel), (.scheduled, .consentRevoked), (.queued, .consentRevoked):
            return (.cancelled, [.finish(.cancelled)])
        case (.running, .cancel): return (.cancelled, [.signalWorkerCancel, .releaseLease, .finish(.cancelled)])
        case (.dead, .retry), (.cancelled, .retry): return (.queued, [])
        default: return nil
        }
    }

    static let pairs: [(JobState, JobEvent)] = JobState.allCases.flatMap { state in JobEvent.allCases.map { (state, $0) } }

    @Test(arguments: pairs)
    func everyPairWithAttemptsLeft(state: JobState, event: JobEvent) {
        // Two of three attempts used; a queued job has used two and has one more.
        self.check(state: state, event: event, used: 2, attemptsLeft: true)
    }

    @Test(arguments: pairs)
    func everyPairWithNoAttemptsLeft(state: JobState, event: JobEvent) {
        self.check(state: state, event: event, used: 3, attemptsLeft: false)
    }

    func check(state: JobState, event: JobEvent, used: Int, attemptsLeft: Bool) {
        var lifecycle = JobLifecycle(state: state, attempts: used, maxAttempts: 3)
        let before = lifecycle
        let expected = Self.expected(state, event, attemptsLeft: attemptsLeft)
        do {
            let actions = try lifecycle.apply(event)
            guard let (next, expectedActions) = expected else {
                Issue.record("\(state) + \(event.name) should be refused, went to \(lifecycle.state)")
                return
            }
            #expect(lifecycle.state == next)
            #expect(actions == expectedActions)
        } catch {
            #expect(expected == nil, "\(state) + \(event.name) was refused: \(error)")
            #expect(lifecycle == before, "a refused event changed the job")
            #expect(error.description == "a \(state.rawValue) job cannot take the event \(event.name)")
        }
    }

    @Test func aJobRunsOutOfAttemptsThenAnOperatorRetriesIt() throws {
        var lifecycle = JobLifecycle(delayed: false, maxAttempts: 2)
        #expect(try lifecycle.apply(.leased) == [.startAttempt(number: 1)])
        #expect(try lifecycle.apply(.failed) == [.releaseLease, .scheduleRetry(afterAttempt: 1)])
        #expect(try lifecycle.apply(.runAtReached) == [])
        #expect(try lifecycle.apply(.leased) == [.startAttempt(number: 2)])
        #expect(try lifecycle.apply(.leaseExpired) == [.releaseLease, .finish(.dead)])
        #expect(lifecycle.state == .dead && lifecycle.state.isTerminal)
        #expect(try lifecycle.apply(.retry) == [])
        #expect(lifecycle.state == .queued && lifecycle.attempts == 0)
    }

    @Test func delayedJobsStartScheduled() {
        #expect(JobLifecycle(delayed: true, maxAttempts: 3).state == .scheduled)
        #expect(JobLifecycle(delayed: false, maxAttempts: 0).maxAttempts == 1)
    }
}
