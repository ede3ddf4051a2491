import ArbiterRules
import ArbiterTSDB
import Testing

/// The alert state machine, transition by transition (Prometheus 2.42's `AlertingRule.Eval`).
@Suite struct AlertSetTests {
    let labels = Labels(["alertname": "HighLatency", "instance": "a"])
    let other = Labels(["alertname": "HighLatency", "instance": "b"])

    func candidate(_ labels: Labels, _ value: Double = 1, summary: String = "s") -> AlertSet.Candidate {
        AlertSet.Candidate(labels: labels, annotations: ["summary": summary], value: value)
    }

    func state(_ set: AlertSet, _ labels: Labels) -> AlertState? { set.alerts[labels]?.state }

    @Test func inactiveToPendingToFiringExactlyWhenForHasElapsed() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 0)
        var transitions = try set.update([self.candidate(self.labels)], at: 0)
        #expect(transitions.pending == [self.labels] && self.state(set, self.labels) == .pending)
        transitions = try set.update([self.candidate(self.labels)], at: 59_999)
        #expect(transitions.firing.isEmpty && self.state(set, self.labels) == .pending)
        transitions = try set.update([self.candidate(self.labels)], at: 60_000)
        #expect(transitions.firing == [self.labels] && set.alerts[self.labels]?.firedAt == 60_000)
        #expect(set.alerts[self.labels]?.activeAt == 0)
    }

    @Test func zeroForFiresOnTheFirstEvaluation() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 0)
        let transitions = try set.update([self.candidate(self.labels)], at: 5000)
        #expect(transitions.pending == [self.labels] && transitions.firing == [self.labels])
        #expect(self.state(set, self.labels) == .firing)
    }

    @Test func aPendingAlertThatGoesAwayIsDroppedWithoutResolving() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 0)
        let transitions = try set.update([], at: 15_000)
        #expect(transitions.resolved.isEmpty && set.alerts.isEmpty)
        // Coming back starts the `for` over.
        try set.update([self.candidate(self.labels)], at: 30_000)
        #expect(set.alerts[self.labels]?.activeAt == 30_000)
    }

    @Test func aFiringAlertResolvesAndIsKeptFifteenMinutesThenForgotten() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 0)
        let transitions = try set.update([], at: 10_000)
        #expect(transitions.resolved == [self.labels] && self.state(set, self.labels) == .inactive)
        #expect(set.alerts[self.labels]?.resolvedAt == 10_000)
        try set.update([], at: 10_000 + AlertSet.resolvedRetention)
        #expect(set.alerts[self.labels] != nil, "kept for the retention")
        try set.update([], at: 10_001 + AlertSet.resolvedRetention)
        #expect(set.alerts[self.labels] == nil)
    }

    @Test func aResolvedAlertThatReturnsIsPendingAgainFromScratch() throws {
        var set = AlertSet(holdDuration: 30_000, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 0)
        try set.update([self.candidate(self.labels)], at: 30_000)
        try set.update([], at: 45_000)
        let transitions = try set.update([self.candidate(self.labels)], at: 60_000)
        #expect(transitions.pending == [self.labels] && set.alerts[self.labels]?.activeAt == 60_000)
        #expect(self.state(set, self.labels) == .pending)
    }

    @Test func keepFiringForHoldsTheAlertThenResolvesIt() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 120_000)
        try set.update([self.candidate(self.labels, summary: "first")], at: 0)
        var transitions = try set.update([], at: 60_000)
        #expect(transitions.resolved.isEmpty && self.state(set, self.labels) == .firing)
        #expect(set.alerts[self.labels]?.keepFiringSince == 60_000)
        transitions = try set.update([], at: 179_999)
        #expect(self.state(set, self.labels) == .firing)
        transitions = try set.update([], at: 180_000)
        #expect(transitions.resolved == [self.labels] && self.state(set, self.labels) == .inactive)
    }

    @Test func keepFiringForIsResetWhenTheConditionReturns() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 60_000)
        try set.update([self.candidate(self.labels)], at: 0)
        try set.update([], at: 15_000)
        try set.update([self.candidate(self.labels)], at: 30_000)
        #expect(set.alerts[self.labels]?.keepFiringSince == nil)
        try set.update([], at: 45_000)
        try set.update([], at: 104_999)
        #expect(self.state(set, self.labels) == .firing)
    }

    @Test func keepFiringForDoesNotHoldAPendingAlert() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 600_000)
        try set.update([self.candidate(self.labels)], at: 0)
        try set.update([], at: 15_000)
        #expect(set.alerts.isEmpty)
    }

    @Test func valuesAndAnnotationsFollowTheLatestEvaluation() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 0)
        try set.update([self.candidate(self.labels, 1, summary: "one")], at: 0)
        try set.update([self.candidate(self.labels, 7, summary: "seven")], at: 15_000)
        #expect(set.alerts[self.labels]?.value == 7 && set.alerts[self.labels]?.annotations["summary"] == "seven")
        #expect(set.alerts[self.labels]?.activeAt == 0)
    }

    @Test func eachLabelSetIsItsOwnAlert() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 0)
        try set.update([self.candidate(self.labels), self.candidate(self.other)], at: 0)
        let transitions = try set.update([self.candidate(self.other)], at: 15_000)
        #expect(transitions.resolved == [self.labels])
        #expect(self.state(set, self.other) == .firing && self.state(set, self.labels) == .inactive)
    }

    @Test func overTheLimitEveryAlertIsDroppedAndTheEvaluationFails() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 0)
        #expect(throws: AlertLimitExceeded(limit: 1, count: 2)) {
            try set.update([self.candidate(self.labels), self.candidate(self.other)], at: 0, limit: 1)
        }
        #expect(set.alerts.isEmpty)
        try set.update([self.candidate(self.labels)], at: 15_000, limit: 1)
        #expect(set.alerts.count == 1)
    }

    @Test func theSeriesAreAlertsAndAlertsForState() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 30_500)
        let series = set.series(at: 30_500)
        #expect(series.count == 2)
        #expect(series.contains { $0.0[Labels.metricName] == "ALERTS" && $0.0["alertstate"] == "pending" && $0.1 == 1 })
        #expect(series.contains { $0.0[Labels.metricName] == "ALERTS_FOR_STATE" && $0.0["alertstate"] == nil && $0.1 == 30 })
        try set.update([], at: 40_000)
        #expect(set.series(at: 40_000).isEmpty)
    }

    @Test func sendingFiringAndResolvedAlertsWithResendDelay() throws {
        var set = AlertSet(holdDuration: 0, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 0)
        var due = set.dueForSending(at: 0, resendDelay: 60_000, interval: 15_000)
        #expect(due.count == 1 && due[0].validUntil == 240_000)
        #expect(set.dueForSending(at: 15_000, resendDelay: 60_000, interval: 15_000).isEmpty, "within the resend delay")
        #expect(set.dueForSending(at: 60_001, resendDelay: 60_000, interval: 15_000).count == 1)
        try set.update([], at: 75_000)
        due = set.dueForSending(at: 75_000, resendDelay: 60_000, interval: 15_000)
        #expect(due.count == 1 && due[0].resolvedAt == 75_000, "a resolution goes out at once")
    }

    @Test func pendingAlertsAreNeverSent() throws {
        var set = AlertSet(holdDuration: 60_000, keepFiringFor: 0)
        try set.update([self.candidate(self.labels)], at: 0)
        #expect(set.dueForSending(at: 0, resendDelay: 0, interval: 15_000).isEmpty)
    }

    @Test func restoredPendingAlertsResumeTheirForAfterTheDowntime() throws {
        var saved = Alert(labels: self.labels, annotations: [:], value: 1, activeAt: 0)
        saved.state = .pending
        var firing = Alert(labels: self.other, annotations: [:], value: 1, activeAt: 0)
        firing.state = .firing
        firing.firedAt = 60_000
        var set = AlertSet(holdDuration: 120_000, keepFiringFor: 0)
        set.restore([saved, firing], downtime: 50_000)
        #expect(set.alerts[self.labels]?.activeAt == 50_000)
        #expect(self.state(set, self.other) == .firing && set.alerts[self.other]?.activeAt == 0)
        // Still true after the restart: pending until 120 s of watched time.
        try set.update([self.candidate(self.labels), self.candidate(self.other)], at: 169_999)
        #expect(self.state(set, self.labels) == .pending)
        try set.update([self.candidate(self.labels), self.candidate(self.other)], at: 170_000)
        #expect(self.state(set, self.labels) == .firing)
    }
}
