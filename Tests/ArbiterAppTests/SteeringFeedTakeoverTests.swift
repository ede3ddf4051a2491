@testable import ArbiterApp
import ArbiterJobs
import ArbiterRules
import ArbiterTesting
import ArbiterTSDB
import Logging
import Testing

/// A replica that takes over the lead keeps the actions in force whose alerts it has not yet seen
/// fire itself (their `for` ran out on the previous leader first), instead of releasing them for a
/// few evaluations and taking them again.
@Suite struct SteeringFeedTakeoverTests {
    static let file = """
        groups:
          - name: queue
            rules:
              - alert: Paused
                expr: vector(1)
                for: 10s
                labels: {arbiter_action: pause, job_type: build}
        """

    @Test func aNewLeaderKeepsThePauseItsPendingAlertWillTakeOver() throws {
        let definition = try RuleFile.parse(Self.file, path: "queue.yml").groups[0]
        let group = RuleGroup(file: "queue.yml", definition: definition, defaultInterval: 1_000)
        let environment = RuleEnvironment(storage: Head())
        let state = SteeringState(clock: ManualClock())
        let leadership = Leadership.follower()
        let feed = SteeringFeed(state: state, leadership: leadership, logger: Logger(label: "test"))

        // The previous leader's pause, mirrored while this replica follows and its own alert is pending.
        let driver = SteeringBoard.Driver.rule(#"{alertname="Paused", arbiter_action="pause", job_type="build"}"#)
        let labels = ["alertname": "Paused", "arbiter_action": "pause", "job_type": "build"]
        state.mirrorRules([SteeringBoard.Activation(action: try #require(try SteeringAction(alertLabels: labels)), driver: driver, alertName: "Paused", labels: labels)])
        group.evaluate(at: 0, environment: environment)
        feed.update(from: [group])
        #expect(state.board.breakers["build"]?.state == .open)

        // It takes over 2 s later: its alert is still pending, and the pause holds.
        leadership.update(.init(leads: true, epoch: 2, leader: "me"))
        group.evaluate(at: 2_000, environment: environment)
        #expect(group.rules[0].alerts.alerts.values.first?.state == .pending)
        feed.update(from: [group])
        #expect(state.board.breakers["build"]?.state == .open)
        #expect(state.board.ruleDrivers == [driver])

        // A pending alert that holds nothing claims nothing.
        let idle = SteeringState(clock: ManualClock())
        SteeringFeed(state: idle, leadership: .alone(), logger: Logger(label: "test")).update(from: [group])
        #expect(idle.board.active.isEmpty)
    }
}
