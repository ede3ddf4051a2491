import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The jobs API under `/api/v1/jobs`: submit, get, list, cancel, retry.
struct JobsEndpoints: Sendable {
    let scheduler: Scheduler
    var store: any JobStore { self.scheduler.store }
    let policies: [String: JobTypePolicy]
    let limits: JobLimits
    let metrics: JobMetrics
    /// Where the jobs' artifacts are, when they are served: listed on each job.
    var artifacts: (any ArtifactStore)? = nil

    func register(on router: Router<ArbiterRequestContext>) {
        let jobs = router.group("/api/v1/jobs")
        jobs.post { request, context in try await self.submit(request, context) }
        jobs.post("batch") { request, _ in try await self.submitBatch(request) }
        jobs.get { request, _ in try await self.list(request) }
        jobs.get("{id}") { _, context in try await self.get(context) }
        jobs.post("{id}/cancel") { request, context in try await self.cancel(request, context) }
        jobs.post("{id}/retry") { _, context in try await self.retry(context) }
    }

    private func submit(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let body = try await self.body(request)
        let submission = try JobSubmissionRequest.parse(body, policies: self.policies, limits: self.limits, now: self.scheduler.clock.nowMilliseconds())
        let outcome: JobSubmitOutcome
        do {
            outcome = try await APIRequest.perform { try await self.scheduler.submit([submission])[0] }
        } catch let refusal as ShedRefusal {
            throw APIError(refusal, field: "type")
        }
        switch outcome {
        case .created(let job):
            self.metrics.jobSubmitted(job)
            return try APIRequest.json(.created, JobResource.object(job))
        case .existing(let job):
            return try APIRequest.json(.ok, JobResource.object(job))
        }
    }

    /// All or nothing: every job is checked first (errors name `jobs[i].field`), then all are stored in
    /// one transaction.
    private func submitBatch(_ request: Request) async throws -> Response {
        let body = try await self.body(request)
        guard let object = try APIRequest.parse(body) as? [String: Any], let items = object["jobs"] as? [Any], object.count == 1 else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be {\"jobs\": [ … ]}", field: "jobs")
        }
        guard !items.isEmpty else {
            throw APIError(.badRequest, code: "invalid_field", message: "jobs must hold at least one job", field: "jobs")
        }
        guard items.count <= self.limits.maxBatchJobs else {
            throw APIError(
                .contentTooLarge, code: "batch_too_large",
                message: "the batch holds \(items.count) jobs; the limit is \(self.limits.maxBatchJobs)", field: "jobs")
        }
        let now = self.scheduler.clock.nowMilliseconds()
        let submissions = try items.enumerated().map { index, item -> JobSubmission in
            guard let job = item as? [String: Any] else {
                throw APIError(.badRequest, code: "invalid_field", message: "jobs[\(index)] must be a JSON object", field: "jobs[\(index)]")
            }
            return try JobSubmissionRequest.parse(job, policies: self.policies, limits: self.limits, now: now) { "jobs[\(index)].\($0)" }
        }
        let outcomes: [JobSubmitOutcome]
        do {
            outcomes = try await self.scheduler.submit(submissions)
        } catch let refusal as ShedRefusal {
            throw APIError(refusal, field: "jobs[\(refusal.index)].type")
        } catch let error as JobStoreError where error.code == .idempotencyConflict || error.code == .consentRequired {
            let plain = APIError(error)
            let field = error.index.map { "jobs[\($0)].\(plain.field ?? "")" } ?? plain.field
            throw APIError(
                plain.status, code: plain.code, message: "\(field ?? "jobs"): \(error.message); no job of the batch was stored", field: field)
        }
        var created = false
        for case .created(let job) in outcomes {
            created = true
            self.metrics.jobSubmitted(job)
        }
        return try APIRequest.json(created ? .created : .ok, ["jobs": outcomes.map { JobResource.object($0.job) }])
    }

    private func get(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let job = try await self.store.job(id: id) else {
            throw APIError(.notFound, code: "not_found", message: "job \(id) does not exist", field: "id")
        }
        var object = JobResource.object(job)
        object["attempts"] = try await self.store.attempts(jobID: id).map(JobResource.object)
        if let artifacts = self.artifacts { object["artifacts"] = try await artifacts.artifacts(jobID: id).map(ArtifactsEndpoints.object) }
        return try APIRequest.json(.ok, object)
    }

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = JobFilter()
        if let state = query.get("state") {
            guard let parsed = JobState(rawValue: state) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            filter.state = parsed
        }
        filter.type = query.get("type")
        filter.userID = query.get("user_id")
        filter.tag = query.get("tag")
        if let search = query.get("q") {
            guard !search.isEmpty, search.utf8.count <= 1024 else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "q must be 1 to 1024 bytes", field: "q")
            }
            filter.search = search
        }
        filter.createdAfter = try APIRequest.timestamp(query.get("created_after"), name: "created_after")
        filter.createdBefore = try APIRequest.timestamp(query.get("created_before"), name: "created_before")
        filter.dryRun = try APIRequest.flag(query.get("dry_run"), name: "dry_run")
        let limit = try APIRequest.pageLimit(query)
        let page = try await self.store.list(filter, after: query.get("cursor"), limit: limit + 1)
        let jobs = page.prefix(limit)
        var object: [String: Any] = ["jobs": jobs.map(JobResource.object)]
        object["next_cursor"] = page.count > limit ? (jobs.last?.id ?? NSNull()) : NSNull()
        return try APIRequest.json(.ok, object)
    }

    private func cancel(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await self.body(request)
        var reason = "cancelled"
        if !body.isEmpty {
            guard let object = try APIRequest.parse(body) as? [String: Any] else {
                throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object or empty")
            }
            try APIRequest.refuseUnknown(object, fields: ["reason"], of: "cancel")
            if let value = object["reason"] {
                guard let text = value as? String, !text.isEmpty, text.utf8.count <= 1024 else {
                    throw APIError(.badRequest, code: "invalid_field", message: "reason must be a non-empty string of at most 1024 bytes", field: "reason")
                }
                reason = text
            }
        }
        let job = try await APIRequest.perform { try await self.scheduler.cancel(jobID: id, reason: reason) }
        return try APIRequest.json(.ok, JobResource.object(job))
    }

    private func retry(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let job = try await APIRequest.perform { try await self.scheduler.retry(jobID: id) }
        return try APIRequest.json(.ok, JobResource.object(job))
    }

    private func body(_ request: Request) async throws -> [UInt8] {
        try await APIRequest.body(request, limit: self.limits.maxBodyBytes)
    }
}
