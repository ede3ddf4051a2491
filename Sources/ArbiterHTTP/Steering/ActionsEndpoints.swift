import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// The steering board over HTTP: `GET /api/v1/actions` lists the actions in force with their
/// causes and every circuit breaker; operators force breakers and silence actions (audited before
/// they apply, so a failed audit write changes nothing); `POST /api/v1/alertmanager/webhook` lets
/// an external Prometheus steer through Alertmanager.
struct ActionsEndpoints: Sendable {
    let steering: SteeringState
    let audit: any AuditStore
    let limits: JobLimits
    /// Where an override's or silence's end is counted from (the scheduler's clock, which ends them).
    let clock: any TimeSource

    var controls: SteeringControls { SteeringControls(steering: self.steering, audit: self.audit, clock: self.clock) }

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/api/v1/actions") { _, _ in try self.list() }
        router.post("/api/v1/actions/breakers/{type}") { request, context in try await self.overrideBreaker(request, context) }
        router.post("/api/v1/actions/silences") { request, _ in try await self.silence(request) }
        router.post("/api/v1/alertmanager/webhook") { request, _ in try await self.webhook(request) }
    }

    private func list() throws -> Response {
        try APIRequest.json(.ok, ActionsResource.object(self.steering.board))
    }

    /// `{"state": "open" | "closed" | "auto", "duration": "10m"}`; `auto` hands the breaker back to
    /// the alerts, and no duration means until lifted.
    private func overrideBreaker(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let type = try context.parameters.require("type")
        let object = try await APIRequest.object(request, limit: self.limits.maxBodyBytes, fields: ["state", "duration"], of: "breaker override")
        let state = try APIRequest.string(object, "state")!
        let duration = try SteeringControls.duration(try APIRequest.string(object, "duration", maxBytes: 32, required: false), required: false)
        try await self.controls.overrideBreaker(jobType: type, state: state, duration: duration)
        return try APIRequest.json(.ok, ActionsResource.object(self.steering.board))
    }

    private func silence(_ request: Request) async throws -> Response {
        let object = try await APIRequest.object(request, limit: self.limits.maxBodyBytes, fields: ["action", "job_type", "worker_id", "duration"], of: "silence")
        let name = try APIRequest.string(object, "action")!
        guard let kind = SteeringAction.Kind(rawValue: name) else {
            throw APIError(
                .badRequest, code: "invalid_field", message: "action must be one of " + SteeringAction.Kind.allCases.map(\.rawValue).joined(separator: ", "),
                field: "action")
        }
        let target: SteeringAction.Target
        if object["job_type"] != nil, object["worker_id"] != nil {
            throw APIError(.badRequest, code: "invalid_field", message: "name job_type or worker_id, not both", field: "worker_id")
        }
        if let type = try APIRequest.string(object, "job_type", required: false) {
            target = .jobType(type)
        } else if let worker = try APIRequest.string(object, "worker_id", required: false) {
            target = .worker(worker)
        } else {
            target = .everyType
        }
        let duration = try SteeringControls.duration(try APIRequest.string(object, "duration", maxBytes: 32, required: true), required: true)!
        try await self.controls.silence(SteeringBoard.Key(kind: kind, target: target), for: duration)
        return try APIRequest.json(.ok, ActionsResource.object(self.steering.board))
    }

    private func webhook(_ request: Request) async throws -> Response {
        let notification = try AlertmanagerNotification(try await APIRequest.object(request, limit: self.limits.maxBodyBytes))
        let changes = self.steering.applyExternal(firing: notification.firing, resolved: notification.resolved)
        if let first = notification.rejected.first {
            // Alertmanager logs a 4xx and does not retry: the valid alerts of the notification still apply.
            throw APIError(
                .unprocessableContent, code: "invalid_action",
                message: notification.rejected.map(\.message).joined(separator: "; ") + " (the other alerts were applied)", field: first.field)
        }
        return try APIRequest.json(.ok, [
            "status": "success", "firing": notification.firing.count, "resolved": notification.resolved.count,
            "ignored": notification.ignored, "changes": changes.count,
        ])
    }
}
