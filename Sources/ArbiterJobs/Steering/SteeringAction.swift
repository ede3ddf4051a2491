/// What a firing alert asks of the scheduler, read from its labels so rule files stay plain
/// Prometheus rule files: `arbiter_action` names the action; `job_type`, `queue` or `worker_id` the
/// target (none: every type); `arbiter_rate` (`10/s`) and `arbiter_probe` (`5`) its parameters.
///
/// Arbiter keeps one queue per job type, so a `queue` label names a job type: rules written for
/// queue-based systems work unchanged.
public struct SteeringAction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case pause, throttle, shed, drain, page
    }

    public enum Target: Sendable, Hashable, CustomStringConvertible {
        case jobType(String)
        case worker(String)
        case everyType

        public var description: String {
            switch self {
            case .jobType(let name): "job_type=\(name)"
            case .worker(let id): "worker_id=\(id)"
            case .everyType: "all"
            }
        }
    }

    public var kind: Kind
    public var target: Target
    /// `throttle`'s cap.
    public var rate: RateLimit?
    /// `pause`'s half-open probe size.
    public var probe: Int

    /// A label that names no known action or carries a bad parameter.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let label: String
        public let value: String
        public let problem: String
        public var description: String { "\(self.label)=\"\(self.value)\": \(self.problem)" }
    }

    public static let actionLabel = "arbiter_action"

    /// Reads an alert's labels.
    /// - Returns: `nil` when the alert asks for no action (no `arbiter_action`).
    /// - Throws: ``Invalid`` naming the label at fault.
    public init?(alertLabels labels: [String: String]) throws(Invalid) {
        guard let text = labels[Self.actionLabel] else { return nil }
        guard let kind = Kind(rawValue: text) else {
            throw Invalid(label: Self.actionLabel, value: text, problem: "expected one of " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.kind = kind
        // A drain targets a worker; every other action a job type (or, with none named, every type).
        // An alert that names only a worker is refused for those: read as "every type" it would stop
        // far more than the worker it is about.
        if kind == .drain {
            guard let worker = labels["worker_id"], !worker.isEmpty else {
                throw Invalid(label: Self.actionLabel, value: text, problem: "drain needs a worker_id label on the alert")
            }
            self.target = .worker(worker)
        } else if let type = labels["job_type"], !type.isEmpty {
            self.target = .jobType(type)
        } else if let queue = labels["queue"], !queue.isEmpty {
            self.target = .jobType(queue)
        } else if kind != .page, let worker = labels["worker_id"], !worker.isEmpty {
            throw Invalid(
                label: "worker_id", value: worker,
                problem: "\(kind.rawValue) acts on a job type and the alert names only a worker; use drain to stop assigning to a worker")
        } else {
            self.target = .everyType
        }
        self.rate = nil
        if let text = labels["arbiter_rate"] {
            guard let rate = RateLimit(parsing: text) else { throw Invalid(label: "arbiter_rate", value: text, problem: "expected N/s, N/m or N/h with N from 0.001 to 1000000") }
            self.rate = rate
        }
        if kind == .throttle, self.rate == nil {
            throw Invalid(label: "arbiter_rate", value: "", problem: "throttle needs a rate such as 10/s")
        }
        self.probe = 1
        if let text = labels["arbiter_probe"] {
            guard let probe = Int(text), (1...10_000).contains(probe) else {
                throw Invalid(label: "arbiter_probe", value: text, problem: "expected a whole number from 1 to 10000")
            }
            self.probe = probe
        }
    }
}
