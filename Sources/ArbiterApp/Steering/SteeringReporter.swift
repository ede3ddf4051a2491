import ArbiterJobs
import ArbiterMetrics
import Logging
import ServiceLifecycle

/// Logs, counts and audits every change of the steering board, whatever drove it:
/// `arbiter_scheduler_actions_total{action,transition}`, `arbiter_scheduler_action_active{action,target}`
/// and `arbiter_circuit_state{job_type,state}`.
///
/// Audit entries are written in order by ``run()``, off the dispatch path. Operators' overrides
/// and silences are audited by the API before they are applied (fail closed), so they are not
/// written twice here.
final class SteeringReporter: SteeringObserver, Service {
    private struct Entry {
        var action: String
        var subjectType: String
        var subjectID: String
        var details: [(String, String)]
        var actor: String
        var time: Int64
    }

    private let changes: CounterFamily
    private let active: GaugeFamily
    private let circuits: GaugeFamily
    private let audit: any AuditStore
    private let logger: Logger
    private let entries: AsyncStream<Entry>
    private let pending: AsyncStream<Entry>.Continuation

    init(registry: MetricRegistry, audit: any AuditStore, logger: Logger) throws {
        self.changes = try registry.counterFamily(
            "arbiter_scheduler_actions_total", help: "Scheduler actions activated and released, circuit-breaker transitions, overrides and silences.",
            labelNames: ["action", "transition"])
        // Every transition that can happen exists at 0 from the start, so its first one shows in a `rate`.
        for kind in SteeringAction.Kind.allCases {
            for transition in ["activated", "released", "silenced", "unsilenced"] { _ = try self.changes.labels(kind.rawValue, transition) }
        }
        let breaker = CircuitBreaker.Transition.allCases.map(\.rawValue) + [.forceOpen(until: nil), .forceClose(until: nil), nil].map(Self.name)
        for transition in breaker { _ = try self.changes.labels("pause", transition) }
        self.active = try registry.gaugeFamily(
            "arbiter_scheduler_action_active", help: "1 while an action holds its target and is obeyed.", labelNames: ["action", "target"])
        self.circuits = try registry.gaugeFamily(
            "arbiter_circuit_state", help: "1 for the state each job type's circuit breaker is in (job_type=\"*\": every type).",
            labelNames: ["job_type", "state"])
        self.audit = audit
        self.logger = logger
        (self.entries, self.pending) = AsyncStream.makeStream(of: Entry.self)
    }

    func steered(_ changes: [SteeringBoard.Change], board: SteeringBoard, cause: SteeringCause, at time: Int64) {
        let actor = AuditActor.current
        for change in changes {
            let (action, transition, subject, message) = Self.describe(change)
            var metadata: Logger.Metadata = ["action": "\(action)", "target": "\(subject.id)", "cause": "\(Self.name(cause))"]
            var details = [("cause", Self.name(cause))]
            if case .activated(let key) = change, let active = board.active(key) {
                let alerts = active.activations.map(\.alertName).joined(separator: ",")
                metadata["alerts"] = "\(alerts)"
                details.append(("alerts", alerts))
            }
            self.logger.notice("\(message)", metadata: metadata)
            try? self.changes.labels([action, transition]).increment()
            switch change {
            case .activated(let key), .released(let key), .silenced(let key, _):
                try? self.active.labels([key.kind.rawValue, "\(key.target)"]).set(board.isEnforced(key) ? 1 : 0)
            case .breaker, .overridden:
                break
            }
            if cause != .operator, cause != .replica {
                self.pending.yield(Entry(
                    action: "steering.\(transition)", subjectType: subject.type, subjectID: subject.id, details: details, actor: actor, time: time))
            }
        }
        for (type, breaker) in board.breakers {
            for state in ["closed", "open", "half_open"] {
                try? self.circuits.labels([type, state]).set(breaker.effectiveState.name == state ? 1 : 0)
            }
        }
    }

    /// Writes the audit entries in order until graceful shutdown, then what is left.
    func run() async throws {
        await withGracefulShutdownHandler {
            for await entry in self.entries {
                do {
                    try await AuditActor.$current.withValue(entry.actor) {
                        try await self.audit.recordAuditEvent(
                            action: entry.action, subjectType: entry.subjectType, subjectID: entry.subjectID, details: entry.details, now: entry.time)
                    }
                } catch {
                    self.logger.error("cannot audit a steering change", metadata: ["action": "\(entry.action)", "error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.pending.finish()
        }
    }

    /// The action and transition labels, the audit subject and the log message of a change.
    private static func describe(_ change: SteeringBoard.Change) -> (String, String, (type: String, id: String), String) {
        switch change {
        case .activated(let key):
            (key.kind.rawValue, "activated", ("steering_action", "\(key)"), "scheduler action activated")
        case .released(let key):
            (key.kind.rawValue, "released", ("steering_action", "\(key)"), "scheduler action released")
        case .breaker(let type, let transition):
            ("pause", transition.rawValue, ("job_type", type), "circuit breaker \(transition.rawValue)")
        case .overridden(let type, let override):
            ("pause", Self.name(override), ("job_type", type), "circuit breaker override \(Self.name(override))")
        case .silenced(let key, let until):
            (key.kind.rawValue, until == nil ? "unsilenced" : "silenced", ("steering_action", "\(key)"), until == nil ? "action silence ended" : "action silenced")
        }
    }

    static func name(_ override: CircuitBreaker.Override?) -> String {
        switch override {
        case .forceOpen: "forced_open"
        case .forceClose: "forced_closed"
        case nil: "override_lifted"
        }
    }

    static func name(_ cause: SteeringCause) -> String {
        switch cause {
        case .rules: "rules"
        case .webhook: "alertmanager"
        case .operator: "operator"
        case .probe: "probe"
        case .expiry: "expiry"
        case .replica: "replica"
        }
    }
}
