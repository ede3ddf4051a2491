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
    let jobs: any JobStore
    let workers: any WorkerStore
    let policies: [String: JobTypePolicy]
    let leaseTimeout: Duration
    let limits: JobLimits
    let metrics: JobMetrics

    static var maxWait: Duration { .seconds(60) }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/v1/workers/{id}/lease") { request, context in try await self.lease(request, context) }
        router.post("/api/v1/jobs/{id}/complete") { request, context in try await self.report(request, context, .complete) }
        router.post("/api/v1/jobs/{id}/fail") { request, context in try await self.report(request, context, .fail) }
        router.post("/api/v1/jobs/{id}/progress") { request, context in try await self.report(request, context, .progress) }
    }

    private var leaseMilliseconds: Int64 {
        self.leaseTimeout.wholeMilliseconds
    }

    private func lease(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        var wait = Duration.zero
        if let text = request.uri.queryParameters.get("wait") {
            guard let parsed = PrometheusDuration.parse(text), parsed <= Self.maxWait else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "wait must be a duration of at most 60s, such as 30s", field: "wait")
            }
            wait = parsed
        }
        let deadline = ContinuousClock.now + wait
        while true {
            guard try await self.workers.worker(id: id) != nil else {
                throw APIError(.notFound, code: "not_found", message: "worker \(id) is not registered", field: "id")
            }
            let worker = try await self.workers.heartbeat(workerID: id, now: WallClock.nowMilliseconds())
            let free = worker.concurrency - worker.leasedJobs
            if free > 0 {
                let leased = try await self.jobs.lease(
                    types: worker.capabilities, workerID: id, limit: free, leaseMilliseconds: self.leaseMilliseconds,
                    concurrencyLimits: self.policies.compactMapValues(\.concurrency), now: WallClock.nowMilliseconds())
                for job in leased { self.metrics.attemptStarted(job) }
                if !leased.isEmpty || ContinuousClock.now >= deadline {
                    return try JobsEndpoints.json(.ok, ["jobs": leased.map(Self.assignment)])
                }
            } else if ContinuousClock.now >= deadline {
                return try JobsEndpoints.json(.ok, ["jobs": [Any]()])
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private enum Report { case complete, fail, progress }

    private func report(_ request: Request, _ context: BasicRequestContext, _ kind: Report) async throws -> Response {
        let id = try context.parameters.require("id")
        let buffer = try await request.body.collect(upTo: self.limits.maxBodyBytes)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be a JSON object")
        }
        guard let text = object["token"] as? String, let token = Int64(text) else {
            throw APIError(.badRequest, code: "invalid_field", message: "token is required: the lease token as a string", field: "token")
        }
        let now = WallClock.nowMilliseconds()
        do {
            let job: JobRecord
            switch kind {
            case .complete:
                var result: String?
                if let value = object["result"] {
                    result = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]), as: UTF8.self)
                    guard result!.utf8.count <= self.limits.maxPayloadBytes else {
                        throw APIError(.contentTooLarge, code: "result_too_large", message: "result is larger than \(self.limits.maxPayloadBytes) bytes", field: "result")
                    }
                }
                job = try await self.jobs.complete(id: id, token: token, result: result, now: now)
                self.metrics.jobFinished(job)
            case .fail:
                guard let error = object["error"] as? String, !error.isEmpty else {
                    throw APIError(.badRequest, code: "invalid_field", message: "error is required: what went wrong", field: "error")
                }
                guard let current = try await self.jobs.job(id: id) else {
                    throw JobStoreError(.notFound, "job \(id) does not exist")
                }
                var random = SystemRandomNumberGenerator()
                let delay = current.retry.delay(afterAttempt: current.attempt, using: &random)
                job = try await self.jobs.fail(id: id, token: token, error: String(error.prefix(64 * 1024)), retryDelay: delay.wholeMilliseconds, now: now)
                self.metrics.attemptFailed(job, leaseExpired: false)
            case .progress:
                job = try await self.jobs.extendLease(id: id, token: token, leaseMilliseconds: self.leaseMilliseconds, now: now)
            }
            return try JobsEndpoints.json(.ok, JobResource.object(job))
        } catch let error as JobStoreError {
            switch error.code {
            case .notFound: throw APIError(.notFound, code: "not_found", message: error.message, field: "id")
            case .staleLease: throw APIError(.conflict, code: "stale_lease", message: error.message, field: "token")
            case .idempotencyConflict, .illegalTransition: throw APIError(.conflict, code: error.code.rawValue, message: error.message)
            }
        }
    }

    /// What a worker receives for a leased job; the token is a string so no client loses precision.
    static func assignment(_ job: JobRecord) -> [String: Any] {
        [
            "id": job.id, "type": job.type, "payload": JobResource.json(job.payload) ?? NSNull(), "attempt": job.attempt,
            "max_attempts": job.retry.maxAttempts, "timeout": PrometheusDuration.format(job.retry.timeout),
            "lease": ["token": String(job.lease?.token ?? 0), "expires_at": JobResource.timestamp(job.lease?.expiresAt ?? 0)],
        ]
    }
}
