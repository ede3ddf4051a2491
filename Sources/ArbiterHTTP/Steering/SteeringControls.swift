import ArbiterCore
import ArbiterJobs
import HTTPTypes

/// An operator's hand on the steering board, from the API or the console: force a breaker, silence
/// an action. Each is audited (under the caller's actor) before it takes effect.
struct SteeringControls: Sendable {
    let steering: SteeringState
    let audit: any AuditStore
    let clock: any TimeSource

    /// Forces `jobType`'s breaker `open` or `closed` (for `duration`, or until told `auto`), or hands it back to its alerts (`auto`).
    func overrideBreaker(jobType type: String, state: String, duration: Duration?) async throws {
        guard type == SteeringBoard.everyType || JobTypeName.isValid(type) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "job type names hold \(JobTypeName.rule), or * for every type", field: "type")
        }
        let now = self.clock.nowMilliseconds()
        let until = duration.map { now + $0.wholeMilliseconds }
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
    }

    /// Silences the action `key` for `duration` (zero lifts a silence).
    func silence(_ key: SteeringBoard.Key, for duration: Duration) async throws {
        let now = self.clock.nowMilliseconds()
        let until = duration > .zero ? now + duration.wholeMilliseconds : nil
        try await self.audit.recordAuditEvent(
            action: until == nil ? "steering.unsilenced" : "steering.silenced", subjectType: "steering_action", subjectID: "\(key)",
            details: until.map { [("until", RFC3339.format(milliseconds: $0))] } ?? [], now: now)
        self.steering.silence(key, until: until, at: now)
    }

    /// A duration such as `30m`, at most a year.
    static func duration(_ text: String?, required: Bool) throws -> Duration? {
        guard let text, !text.isEmpty else {
            if required { throw APIError(.badRequest, code: "missing_field", message: "duration is required", field: "duration") }
            return nil
        }
        guard text.utf8.count <= 32, let duration = PrometheusDuration.parse(text), duration <= .seconds(366 * 86_400) else {
            throw APIError(.badRequest, code: "invalid_field", message: "duration must be a duration such as 30m, at most a year", field: "duration")
        }
        return duration
    }
}
