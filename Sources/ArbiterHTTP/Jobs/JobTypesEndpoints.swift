import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v1/job-types`: each type's policy, paused flag and job counts, and the pause/resume levers
/// (the same levers alert rules will pull).
struct JobTypesEndpoints: Sendable {
    let scheduler: Scheduler
    var store: any JobStore { self.scheduler.store }
    let policies: [String: JobTypePolicy]

    func register(on router: Router<ArbiterRequestContext>) {
        let types = router.group("/api/v1/job-types")
        types.get { _, _ in try await self.list() }
        types.post("{type}/pause") { _, context in try await self.setPaused(context, true) }
        types.post("{type}/resume") { _, context in try await self.setPaused(context, false) }
    }

    private func list() async throws -> Response {
        let counts = try await self.store.countsByType()
        let paused = try await self.store.pausedTypes()
        let names = Set(self.policies.keys).union(counts.keys).union(paused).sorted()
        let types: [[String: Any]] = names.map { self.object($0, paused: paused.contains($0), counts: counts[$0] ?? [:]) }
        return try APIRequest.json(.ok, ["job_types": types])
    }

    private func setPaused(_ context: ArbiterRequestContext, _ paused: Bool) async throws -> Response {
        let type = try context.parameters.require("type")
        guard JobTypeName.isValid(type) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "job type names hold \(JobTypeName.rule)", field: "type")
        }
        if paused {
            try await self.scheduler.pause(type: type)
        } else {
            try await self.scheduler.resume(type: type)
        }
        let counts = try await self.store.countsByType()
        return try APIRequest.json(.ok, self.object(type, paused: paused, counts: counts[type] ?? [:]))
    }

    private func object(_ type: String, paused: Bool, counts: [JobState: Int]) -> [String: Any] {
        let policy = self.policies[type] ?? JobTypePolicy()
        var policyObject: [String: Any] = [
            "max_attempts": policy.retry.maxAttempts, "timeout": PrometheusDuration.format(policy.retry.timeout),
            "backoff": ["initial": PrometheusDuration.format(policy.retry.initialBackoff), "max": PrometheusDuration.format(policy.retry.maxBackoff)],
        ]
        policyObject["concurrency"] = policy.concurrency ?? NSNull()
        policyObject["rate_limit"] = policy.rateLimit.map { "\($0)" } ?? NSNull()
        policyObject["requires_consent"] = policy.requiresConsent ?? NSNull()
        var countsObject: [String: Int] = [:]
        for state in JobState.allCases { countsObject[state.rawValue] = counts[state] ?? 0 }
        return ["type": type, "configured": self.policies[type] != nil, "paused": paused, "policy": policyObject, "counts": countsObject]
    }
}
