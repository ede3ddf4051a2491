import ArbiterJobs
import Testing

/// Actions bound to alerts by their labels.
@Suite struct SteeringActionTests {
    @Test func anAlertWithoutAnActionAsksForNothing() throws {
        #expect(try SteeringAction(alertLabels: ["alertname": "X", "job_type": "build"]) == nil)
    }

    @Test func pauseTakesItsTargetAndProbeSize() throws {
        let action = try #require(try SteeringAction(alertLabels: ["arbiter_action": "pause", "job_type": "build", "arbiter_probe": "5"]))
        #expect(action.kind == .pause && action.target == .jobType("build") && action.probe == 5)
        let everything = try #require(try SteeringAction(alertLabels: ["arbiter_action": "shed"]))
        #expect(everything.target == .everyType && everything.probe == 1)
        #expect(try SteeringAction(alertLabels: ["arbiter_action": "page", "queue": "q1"])?.target == .jobType("q1"))
    }

    @Test func throttleNeedsARateAndDrainAWorker() throws {
        let throttle = try #require(try SteeringAction(alertLabels: ["arbiter_action": "throttle", "job_type": "t", "arbiter_rate": "10/s"]))
        #expect(throttle.rate?.perSecond == 10)
        #expect(throws: SteeringAction.Invalid.self) { try SteeringAction(alertLabels: ["arbiter_action": "throttle"]) }
        #expect(try SteeringAction(alertLabels: ["arbiter_action": "drain", "worker_id": "w1"])?.target == .worker("w1"))
        // The series' own labels do not redirect an action: a drain goes to its worker, a pause to its type.
        #expect(try SteeringAction(alertLabels: ["arbiter_action": "drain", "worker_id": "w1", "job_type": "build"])?.target == .worker("w1"))
        #expect(try SteeringAction(alertLabels: ["arbiter_action": "pause", "worker_id": "w1", "job_type": "build"])?.target == .jobType("build"))
        // A pause that names only a worker is refused rather than read as "pause every type"; a page is only a page.
        #expect(try SteeringAction(alertLabels: ["arbiter_action": "page", "worker_id": "w1"])?.target == .everyType)
        #expect(throws: SteeringAction.Invalid.self) { try SteeringAction(alertLabels: ["arbiter_action": "drain", "job_type": "t"]) }
    }

    @Test("bad labels are named", arguments: [
        (["arbiter_action": "explode"], "arbiter_action"),
        (["arbiter_action": "throttle", "arbiter_rate": "fast"], "arbiter_rate"),
        (["arbiter_action": "pause", "arbiter_probe": "0"], "arbiter_probe"),
        (["arbiter_action": "pause", "arbiter_probe": "many"], "arbiter_probe"),
        (["arbiter_action": "pause", "worker_id": "w1"], "worker_id"),
        (["arbiter_action": "shed", "worker_id": "w1"], "worker_id"),
    ])
    func invalid(labels: [String: String], label: String) {
        do {
            _ = try SteeringAction(alertLabels: labels)
            Issue.record("accepted \(labels)")
        } catch {
            #expect(error.label == label)
        }
    }
}
