/// What a caller may do. Every route needs one permission (see the README's access matrix); a role
/// is a fixed set of them.
public enum Permission: String, Sendable, CaseIterable, Comparable {
    /// Read jobs, job types, workers, the metrics and the API description.
    case read
    /// Submit and cancel jobs.
    case submit
    /// Record and revoke consent; store and delete credentials; read consents.
    case consent
    /// Retry jobs, pause and resume job types, drain and remove workers.
    case operate
    /// Read and verify the audit log.
    case audit
    /// Create, list and revoke API tokens.
    case manageTokens = "manage_tokens"
    /// Act as a worker: register, heartbeat, lease, report, connect.
    case work

    public static func < (lhs: Permission, rhs: Permission) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}

/// The roles a token or JWT can carry.
public enum Role: String, Sendable, CaseIterable, Codable {
    case admin
    case `operator`
    case submitter
    case worker
    case viewer

    /// What the role may do.
    public var permissions: Set<Permission> {
        switch self {
        case .admin: Set(Permission.allCases)
        case .operator: [.read, .submit, .consent, .operate, .audit]
        case .submitter: [.read, .submit, .consent]
        case .worker: [.work]
        case .viewer: [.read]
        }
    }
}

/// Who an authenticated request is.
public struct Principal: Sendable, Equatable {
    public var role: Role
    /// The name the audit log records (`token:<name>`, `jwt:<subject>`).
    public var actor: String
    /// For a worker token: the only worker id it may act as.
    public var workerID: String?

    public init(role: Role, actor: String, workerID: String? = nil) {
        self.role = role
        self.actor = actor
        self.workerID = workerID
    }

    public func may(_ permission: Permission) -> Bool {
        self.role.permissions.contains(permission)
    }

    /// Whether the principal may act as worker `id`: a worker token only as its own id, an admin as any.
    public func mayActAsWorker(_ id: String) -> Bool {
        switch self.role {
        case .admin: true
        case .worker: self.workerID == id
        default: false
        }
    }
}
