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
        guard type == SteeringBoard.everyType || JobTypeName.isValid(type) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "job type names hold \(JobTypeName.rule), or * for every type", field: "type")
        }
        let object = try await APIRequest.object(request, limit: self.limits.maxBodyBytes, fields: ["state", "duration"], of: "breaker override")
        let state = try APIRequest.string(object, "state")!
        let now = self.clock.nowMilliseconds()
        let until = try Self.duration(object, required: false).map { now + $0.wholeMilliseconds }
        let override: CircuitBreaker.Override?
        switch state {
        case "open": override = .forceOpen(until: until)
        case "closed": override = .forceClose(until: until)
        case "auto": override = nil
        default: throw APIError(.badRequest, code: "invalid_field", message: "state must be open, closed or auto", field: "state")
        }
        var details = [("state", state)]
        if let until { details.append(("until", RFC3339.format(milliseconds: until))) }
        try await self.audit.recordAuditEvent(action: "steering.breaker_overridden", subjectType: "job_type", subjectID: type, details: details, now: now)
        self.steering.override(jobType: type, override, at: now)
        return try APIRequest.json(.ok, ActionsResource.object(self.steering.board))
    }

    /// `{"action": "shed", "job_type": "build" | "worker_id": "w1", "duration": "30m"}`: the action
    /// stays listed but is not obeyed until then; a duration of `0s` ends the silence.
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
        let duration = try Self.duration(object, required: true)!
        let now = self.clock.nowMilliseconds()
        let until = duration > .zero ? now + duration.wholeMilliseconds : nil
        let key = SteeringBoard.Key(kind: kind, target: target)
        try await self.audit.recordAuditEvent(
            action: until == nil ? "steering.unsilenced" : "steering.silenced", subjectType: "steering_action", subjectID: "\(key)",
            details: until.map { [("until", RFC3339.format(milliseconds: $0))] } ?? [], now: now)
        self.steering.silence(key, until: until, at: now)
        return try APIRequest.json(.ok, ActionsResource.object(self.steering.board))
    }

    private static func duration(_ object: [String: Any], required: Bool) throws -> Duration? {
        guard let text = try APIRequest.string(object, "duration", maxBytes: 32, required: required) else { return nil }
        guard let duration = PrometheusDuration.parse(text), duration <= .seconds(366 * 86_400) else {
            throw APIError(.badRequest, code: "invalid_field", message: "duration must be a duration such as 30m, at most a year", field: "duration")
        }
        return duration
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
