import ArbiterCore
import ArbiterJobs
import ArbiterTesting
import Synchronization
import Testing

/// Two replicas' steering boards, linked as a cluster links them (each change another must hear
/// handed straight to it): a half-open probe let through by one replica and ended on the other
/// (its worker moved, or its lease expired on the leader) still settles the breaker that let it
/// through; an attempt ended where no breaker probes is not sent at all.
@Suite struct SteeringReplicaTests {
    /// Hands attempt ends to the other replica's board; counts them.
    final class Link: SteeringRelay {
        let other: SteeringState
        let sent = Mutex(0)

        init(to other: SteeringState) {
            self.other = other
        }

        func attemptEnded(jobID: String, outcome: AttemptOutcome) {
            self.sent.withLock { $0 += 1 }
            self.other.mirrorAttemptEnded(jobID: jobID, outcome: outcome)
        }

        func rulesDecided(_ activations: [SteeringBoard.Activation]) {}
        func externalApplied(firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>) {}
        func overridden(jobType: String, _ override: CircuitBreaker.Override?) {}
        func silenced(_ key: SteeringBoard.Key, until: Int64?) {}
    }

    static func job(_ id: String, type: String) -> JobRecord {
        JobRecord(
            id: id, type: type, payload: "{}", priority: 0, state: .running, runAt: 0, attempt: 1,
            retry: RetryPolicy(maxAttempts: 1, initialBackoff: .seconds(1), maxBackoff: .seconds(1), timeout: .seconds(30)), idempotencyKey: nil,
            userID: nil, consentScope: nil, tags: [], result: nil, lastError: nil, cancelReason: nil,
            lease: JobLease(workerID: "w", token: 1, expiresAt: 60_000), createdAt: 0, updatedAt: 0, finishedAt: nil)
    }

    @Test func aProbeEndingOnAnotherReplicaSettlesTheBreakerThatLetItThrough() throws {
        let clock = ManualClock()
        let here = SteeringState(clock: clock)
        let there = SteeringState(clock: clock)
        let link = Link(to: there)
        here.relay(to: link)
        let pause = SteeringBoard.Activation(
            action: try #require(try SteeringAction(alertLabels: ["arbiter_action": "pause", "job_type": "build", "arbiter_probe": "1"])),
            driver: .rule("pause"), alertName: "Pause")
        for board in [here, there] {
            board.update([pause], external: false, at: 1)
            board.update([], external: false, at: 2)
        }
        #expect(there.board.breakers["build"]?.state == .halfOpen(admitted: 0, succeeded: 0))

        // An attempt of another type ends here while nothing of its type probes: nothing is sent.
        here.attemptEnded(Self.job("j0", type: "mail"), outcome: .succeeded, now: 3)
        #expect(link.sent.withLock { $0 } == 0)

        // The other replica lets one probe through; it ends here.
        let probe = Self.job("j1", type: "build")
        let reservation = there.reserve(types: ["build"], wanted: 5, now: 3)
        #expect(reservation.quotas["build"] == 1)
        there.settle(reservation, leased: [probe])
        #expect(there.board.breakers["build"]?.state == .halfOpen(admitted: 1, succeeded: 0))
        here.attemptEnded(probe, outcome: .succeeded, now: 4)
        #expect(link.sent.withLock { $0 } == 1)
        #expect(there.board.breakers["build"]?.state == .closed, "the probe's success closed the breaker that let it through")
    }
}
