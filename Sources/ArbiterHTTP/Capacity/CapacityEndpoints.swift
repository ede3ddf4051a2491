import ArbiterCore
import ArbiterJobs
import Foundation
import Hummingbird

/// `GET /api/v1/capacity`: per job type, the arrival rate, mean service time, utilisation, slots
/// now, slots recommended by Erlang C and the predicted queue wait. Infinite and unknown figures
/// are `null`.
struct CapacityEndpoints: Sendable {
    let report: CapacityReport

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/api/v1/capacity") { _, _ in try self.get() }
    }

    private func get() throws -> Response {
        let snapshot = self.report.current
        let number = { (value: Double) -> Any in value.isFinite ? value : NSNull() }
        return try APIRequest.json(.ok, [
            "at": snapshot.time > 0 ? RFC3339.format(milliseconds: snapshot.time) : NSNull(),
            "window": PrometheusDuration.format(snapshot.window), "target_wait": PrometheusDuration.format(snapshot.targetWait),
            "job_types": snapshot.estimates.map { estimate -> [String: Any] in
                [
                    "job_type": estimate.jobType, "arrival_rate": number(estimate.arrivalRate), "service_seconds": number(estimate.serviceSeconds),
                    "utilization": number(estimate.utilization), "slots": estimate.slots,
                    "recommended_slots": estimate.recommendedSlots ?? NSNull(), "predicted_wait_seconds": number(estimate.predictedWait),
                ]
            },
        ])
    }
}
