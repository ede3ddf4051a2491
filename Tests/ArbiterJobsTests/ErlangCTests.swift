import ArbiterJobs
import ArbiterTesting
import Foundation
import Testing

/// Erlang C against the closed form with factorials, computed independently.
@Suite struct ErlangCTests {

    @Test(arguments: [(3, 2.0), (4, 2.0), (10, 7.5), (50, 42.0), (1, 0.5)])
    func probabilityMatchesTheClosedForm(servers: Int, load: Double) {
        #expect(abs(ErlangC.probabilityOfWaiting(servers: servers, load: load) - ErlangCReference.probabilityOfWaiting(servers: servers, load: load)) < 1e-12)
    }

    @Test func textbookValues() {
        // 2 erlangs on 3 slots: an arrival waits with probability 4/9.
        #expect(abs(ErlangC.probabilityOfWaiting(servers: 3, load: 2) - 4.0 / 9) < 1e-12)
        #expect(abs(ErlangC.meanWait(servers: 3, arrivalRate: 5, serviceSeconds: 0.4) - 4.0 / 9 * 0.4) < 1e-12)
        #expect(ErlangC.meanWait(servers: 2, arrivalRate: 5, serviceSeconds: 0.4) == .infinity)
        #expect(ErlangC.slotsNeeded(arrivalRate: 5, serviceSeconds: 0.4, targetWait: 0.1) == 4)
        #expect(ErlangC.slotsNeeded(arrivalRate: 5, serviceSeconds: 0.4, targetWait: 1) == 3)
        #expect(ErlangC.slotsNeeded(arrivalRate: 0, serviceSeconds: 0.4, targetWait: 1) == 0)
        // Large loads stay finite and sane (factorials would overflow here).
        let slots = ErlangC.slotsNeeded(arrivalRate: 2000, serviceSeconds: 1, targetWait: 0.01)
        #expect(slots > 2000 && slots < 2100)
    }

    @Test func estimatesAType() {
        let estimate = CapacityEstimate(jobType: "build", arrivalRate: 5, serviceSeconds: 0.4, slots: 4, targetWait: 0.1)
        #expect(estimate.utilization == 0.5 && estimate.recommendedSlots == 4)
        #expect(estimate.predictedWait < 0.1)
        let unknown = CapacityEstimate(jobType: "idle", arrivalRate: 0, serviceSeconds: .nan, slots: 0, targetWait: 1)
        #expect(unknown.recommendedSlots == nil && unknown.utilization == 0)
    }
}
