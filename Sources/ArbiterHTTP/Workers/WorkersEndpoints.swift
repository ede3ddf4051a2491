import ArbiterCore
import ArbiterJobs
import ArbiterWorkerProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1/workers`: registration, heartbeats, listing, draining and removal.
struct WorkersEndpoints: Sendable {
    let scheduler: Scheduler
    let limits: JobLimits
    /// How often a worker should heartbeat, and how long a silent one stays online (`workers.timeout`):
    /// told to HTTP workers when they register, as the WebSocket's hello tells its workers.
    let heartbeatInterval: Duration
    let workerTimeout: Duration
    var store: any WorkerStore { self.scheduler.workers }
    var jobs: any JobStore { self.scheduler.store }

    func register(on router: Router<ArbiterRequestContext>) {
        let workers = router.group("/api/v1/workers")
        workers.post("register") { request, context in try await self.registerWorker(request, context) }
        workers.get { _, _ in try APIRequest.json(.ok, ["workers": try await self.store.workers().map(Self.object)]) }
        workers.get("{id}") { _, context in try await self.get(context) }
        workers.post("{id}/heartbeat") { request, context in
            let id = try context.parameters.require("id")
            let running = try await self.runningJobs(request)
            var object = Self.object(try await self.perform { try await self.scheduler.heartbeat(workerID: id, jobs: running) })
            object["cancel"] = self.scheduler.takeCancelNotices(workerID: id).map { ["job_id": $0.jobID, "reason": $0.reason] }
            return try APIRequest.json(.ok, object)
        }
        workers.post("{id}/drain") { _, context in
            let id = try context.parameters.require("id")
            return try APIRequest.json(.ok, Self.object(try await self.perform { try await self.scheduler.drain(workerID: id) }))
        }
        workers.delete("{id}") { _, context -> Response in
            let id = try context.parameters.require("id")
            try await self.perform { try await self.scheduler.remove(workerID: id) }
            return Response(status: .noContent)
        }
    }

    private func registerWorker(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let object = try await APIRequest.object(request, limit: self.limits.maxBodyBytes, fields: ["id", "capabilities", "concurrency", "labels"], of: "worker")
        guard let id = object["id"] as? String, !id.isEmpty, id.utf8.count <= 128 else {
            throw APIError(.badRequest, code: "invalid_field", message: "id is required: a string of 1 to 128 bytes", field: "id")
        }
        guard let capabilities = object["capabilities"] as? [String], !capabilities.isEmpty, capabilities.allSatisfy(JobTypeName.isValid) else {
            throw APIError(.badRequest, code: "invalid_field", message: "capabilities must be a non-empty list of job type names", field: "capabilities")
        }
        var concurrency = 1
        if let value = object["concurrency"] {
            guard let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.rounded() == number.doubleValue,
                (1...10_000).contains(number.intValue)
            else {
                throw APIError(.badRequest, code: "invalid_field", message: "concurrency must be a whole number from 1 to 10000", field: "concurrency")
            }
            concurrency = number.intValue
        }
        var labels: [String: String] = [:]
        if let value = object["labels"] {
            guard let map = value as? [String: String] else {
                throw APIError(.badRequest, code: "invalid_field", message: "labels must be an object of strings", field: "labels")
            }
            labels = map
        }
        if let principal = context.principal, !principal.mayActAsWorker(id) {
            throw APIError(.forbidden, code: "forbidden", message: AccessMiddleware.workerRefusal(principal, id), field: "id")
        }
        let known = try await self.store.worker(id: id) != nil
        let worker = try await self.scheduler.register(workerID: id, capabilities: capabilities, concurrency: concurrency, labels: labels)
        var answer = Self.object(worker)
        answer["heartbeat_interval_ms"] = self.heartbeatInterval.wholeMilliseconds
        answer["worker_timeout_ms"] = self.workerTimeout.wholeMilliseconds
        answer["lease_timeout_ms"] = self.scheduler.leaseTimeout.wholeMilliseconds
        return try APIRequest.json(known ? .ok : .created, answer)
    }

    /// The optional `{"running": [job ids]}` of a heartbeat: only those leases are extended.
    private func runningJobs(_ request: Request) async throws -> [String]? {
        let body = try await APIRequest.body(request, limit: self.limits.maxBodyBytes)
        guard !body.isEmpty else { return nil }
        guard let object = try APIRequest.parse(body) as? [String: Any] else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body must be empty or a JSON object")
        }
        try APIRequest.refuseUnknown(object, fields: ["running"], of: "heartbeat")
        guard let value = object["running"] else { return nil }
        guard let running = value as? [String] else {
            throw APIError(.badRequest, code: "invalid_field", message: "running must be a list of job ids", field: "running")
        }
        return running
    }

    private func get(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let worker = try await self.store.worker(id: id) else {
            throw APIError(.notFound, code: "not_found", message: "worker \(id) is not registered", field: "id")
        }
        var object = Self.object(worker)
        let running = try await self.jobs.list(JobFilter(state: .running, leaseWorkerID: id), after: nil, limit: max(worker.concurrency, 1) * 2)
        object["leases"] = running.map { job -> [String: Any] in
            ["job_id": job.id, "job_type": job.type, "attempt": job.attempt, "expires_at": JobResource.timestamp(job.lease?.expiresAt ?? 0)]
        }
        // A drain held by an alert stops assignments whatever the worker's own state says: say so.
        if let drain = self.scheduler.drainInForce(workerID: id) {
            object["drained"] = ["since": JobResource.timestamp(drain.since), "alerts": drain.alerts, "message": drain.message] as [String: Any]
        }
        return try APIRequest.json(.ok, object)
    }

    private func perform<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as JobStoreError where error.code == .notFound {
            throw APIError(.notFound, code: "not_found", message: error.message, field: "id")
        }
    }

    static func object(_ worker: WorkerRecord) -> [String: Any] {
        [
            "id": worker.id, "capabilities": worker.capabilities, "concurrency": worker.concurrency, "labels": worker.labels,
            "state": worker.state.rawValue, "leased_jobs": worker.leasedJobs, "registered_at": JobResource.timestamp(worker.registeredAt),
            "last_heartbeat_at": JobResource.timestamp(worker.lastHeartbeatAt),
        ]
    }
}
