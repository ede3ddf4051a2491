import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The plain-HTTP dispatch path for workers that cannot hold a WebSocket: a long-poll lease, and
/// completion, failure and progress reports that carry the lease token.
///
/// A report with any token but the job's current one is refused with 409 `stale_lease` and changes
/// nothing, so a worker presumed dead can never overwrite a later attempt's outcome.
struct DispatchEndpoints: Sendable {
    let scheduler: Scheduler
    let limits: JobLimits
    let metrics: JobMetrics

    static var maxWait: Duration { .seconds(60) }

    func register(on router: Router<ArbiterRequestContext>) {
        router.post("/api/v1/workers/{id}/lease") { request, context in try await self.lease(request, context) }
        router.post("/api/v1/jobs/{id}/complete") { request, context in try await self.report(request, context, .complete) }
        router.post("/api/v1/jobs/{id}/fail") { request, context in try await self.report(request, context, .fail) }
        router.post("/api/v1/jobs/{id}/progress") { request, context in try await self.report(request, context, .progress) }
    }

    /// Waits (up to `wait`) until the worker has free slots and the scheduler has work it may take;
    /// the answer also carries the cancellations waiting for the worker.
    private func lease(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var wait = Duration.zero
        if let text = request.uri.queryParameters.get("wait") {
            guard let parsed = PrometheusDuration.parse(text), parsed <= Self.maxWait else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "wait must be a duration of at most 60s, such as 30s", field: "wait")
            }
            wait = parsed
        }
        let polled: (jobs: [JobRecord], cancels: [CancelNotice])
        do {
            polled = try await self.scheduler.poll(workerID: id, wait: wait)
        } catch let error as JobStoreError where error.code == .notFound {
            throw APIError(.notFound, code: "not_found", message: "worker \(id) is not registered", field: "id")
        }
        let assigned = self.scheduler.clock.nowMilliseconds()
        for job in polled.jobs { self.metrics.assigned(job, now: assigned) }
        return try APIRequest.json(.ok, [
            "jobs": polled.jobs.map(Self.assignment),
            "cancel": polled.cancels.map { ["job_id": $0.jobID, "reason": $0.reason] },
        ])
    }

    private enum Report { case complete, fail, progress }

    private func report(_ request: Request, _ context: ArbiterRequestContext, _ kind: Report) async throws -> Response {
        let id = try context.parameters.require("id")
        let object = try await APIRequest.object(request, limit: self.limits.maxBodyBytes)
        guard let text = object["token"] as? String, let token = Int64(text) else {
            throw APIError(.badRequest, code: "invalid_field", message: "token is required: the lease token as a string", field: "token")
        }
        let outcome: JobReport.Outcome
        switch kind {
        case .complete:
            var result: String?
            if let value = object["result"] {
                result = JSONWriter.string(value)
                guard result!.utf8.count <= self.limits.maxPayloadBytes else {
                    throw APIError(.contentTooLarge, code: "result_too_large", message: "result is larger than \(self.limits.maxPayloadBytes) bytes", field: "result")
                }
            }
            outcome = .succeeded(result: result)
        case .fail:
            guard let error = object["error"] as? String, !error.isEmpty else {
                throw APIError(.badRequest, code: "invalid_field", message: "error is required: what went wrong", field: "error")
            }
            outcome = .failed(error: error)
        case .progress:
            outcome = .progress
        }
        try await Self.requireOwnLease(id, context, self.scheduler)
        // The same fenced path as the WebSocket channel's reports, one report long.
        switch try await self.scheduler.report([JobReport(jobID: id, token: token, outcome: outcome)])[0] {
        case .success(let job): return try APIRequest.json(.ok, JobResource.object(job))
        case .failure(let refusal): throw APIError(refusal)
        }
    }

    /// A worker token reports on, and attaches files to, only jobs leased to its own worker.
    /// - Throws: 403 `forbidden` for a job leased to another worker.
    static func requireOwnLease(_ id: String, _ context: ArbiterRequestContext, _ scheduler: Scheduler) async throws {
        if let principal = context.principal, principal.role != .admin,
            let lease = try await scheduler.store.job(id: id)?.lease, !principal.mayActAsWorker(lease.workerID)
        {
            throw APIError(.forbidden, code: "forbidden", message: "job \(id) is leased to another worker", field: "id")
        }
    }

    /// What a worker receives for a leased job; the token is a string so no client loses precision.
    static func assignment(_ job: JobRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": job.id, "type": job.type, "payload": RawJSON(text: job.payload), "attempt": job.attempt,
            "max_attempts": job.retry.maxAttempts, "timeout": PrometheusDuration.format(job.retry.timeout),
            "lease": ["token": String(job.lease?.token ?? 0), "expires_at": JobResource.timestamp(job.lease?.expiresAt ?? 0)],
            "user_id": job.userID ?? NSNull(), "tags": job.tags,
        ]
        if let credential = job.lease?.credential { object["credential"] = credential }
        if job.dryRun { object["dry_run"] = true }
        return object
    }
}
