import ArbiterJobs
import Testing

/// Internal and external drivers of the same action merge; pauses drive the breakers.
@Suite struct SteeringBoardTests {
    func activation(_ labels: [String: String], _ driver: SteeringBoard.Driver, alert: String = "JobTypeFailing") throws -> SteeringBoard.Activation {
        SteeringBoard.Activation(action: try #require(try SteeringAction(alertLabels: labels)), driver: driver, alertName: alert, value: 0.9)
    }

    let pauseBuild = ["arbiter_action": "pause", "job_type": "build", "arbiter_probe": "2"]

    @Test func aRulesPauseOpensTheBreakerAndItsResolutionHalfOpensIt() throws {
        var board = SteeringBoard()
        var changes = board.update([try self.activation(self.pauseBuild, .rule("a"))], external: false, at: 1000)
        let key = SteeringBoard.Key(kind: .pause, target: .jobType("build"))
        #expect(changes == [.activated(key), .breaker(jobType: "build", .opened)])
        #expect(!{ board.admit(jobType: "build") }() && { board.admit(jobType: "deploy") }())
        changes = board.update([], external: false, at: 2000)
        #expect(changes == [.released(key), .breaker(jobType: "build", .halfOpened)])
        #expect({ board.admit(jobType: "build") }() && { board.admit(jobType: "build") }() && !{ board.admit(jobType: "build") }(), "two probes")
        #expect({ board.finished(jobType: "build", succeeded: true) }().isEmpty)
        #expect({ board.finished(jobType: "build", succeeded: true) }() == [.breaker(jobType: "build", .closed)])
        #expect({ board.admit(jobType: "build") }())
    }

    @Test func probesStillOutWhenTheAlertFiresAgainDoNotDecideTheNextHalfOpenRound() throws {
        var board = SteeringBoard()
        let pause = try self.activation(self.pauseBuild, .rule("a"))
        _ = board.update([pause], external: false, at: 1000)
        _ = board.update([], external: false, at: 2000)
        let (count, early) = board.admit(jobType: "build", upTo: 2)
        #expect(count == 2 && early.count == 1)
        _ = board.update([pause], external: false, at: 3000)
        _ = board.update([], external: false, at: 4000)
        // Both early probes succeed late: the new round still wants two of its own.
        #expect(board.probeFinished(succeeded: true, probes: early, at: 4100).isEmpty)
        #expect(board.probeFinished(succeeded: true, probes: early, at: 4200).isEmpty)
        board.returnProbes(2, to: early)
        let (again, probes) = board.admit(jobType: "build", upTo: 5)
        #expect(again == 2)
        _ = board.probeFinished(succeeded: true, probes: probes, at: 5000)
        #expect(board.probeFinished(succeeded: true, probes: probes, at: 5100) == [.breaker(jobType: "build", .closed)])
    }

    @Test func internalAndExternalDriversMergeAndTheActionLastsWhileEitherHoldsIt() throws {
        var board = SteeringBoard()
        _ = board.update([try self.activation(self.pauseBuild, .rule("a"))], external: false, at: 1000)
        let external = board.update([try self.activation(self.pauseBuild, .external("fp1"))], external: true, at: 1500)
        #expect(external.isEmpty, "already active: nothing changes")
        #expect(board.active.count == 1 && board.active[0].activations.count == 2 && board.active[0].since == 1000)
        #expect({ board.update([], external: false, at: 2000) }().isEmpty, "the external driver still holds it")
        #expect(!{ board.admit(jobType: "build") }())
        let released = board.update([], external: true, at: 3000)
        #expect(released.contains(.released(SteeringBoard.Key(kind: .pause, target: .jobType("build")))))
    }

    @Test func aDriverStillHoldingKeepsItsStartTime() throws {
        var board = SteeringBoard()
        _ = board.update([try self.activation(self.pauseBuild, .rule("a"))], external: false, at: 1000)
        _ = board.update([try self.activation(self.pauseBuild, .rule("a"))], external: false, at: 5000)
        #expect(board.active.first?.since == 1000)
    }

    @Test func throttlesMergeToTheStrictestRateAndShedCoversEveryTypeWhenUntargeted() throws {
        var board = SteeringBoard()
        _ = board.update([
            try self.activation(["arbiter_action": "throttle", "job_type": "t", "arbiter_rate": "10/s"], .rule("a")),
            try self.activation(["arbiter_action": "throttle", "job_type": "t", "arbiter_rate": "120/m"], .rule("b")),
            try self.activation(["arbiter_action": "shed"], .rule("c"), alert: "AuditWriteFailures"),
        ], external: false, at: 0)
        let throttle = try #require(board.active.first { $0.key.kind == .throttle })
        #expect(throttle.rate?.perSecond == 2)
        #expect(board.isActive(.shed, for: .jobType("anything")))
        #expect(!board.isActive(.drain, for: .worker("w1")))
    }
}
