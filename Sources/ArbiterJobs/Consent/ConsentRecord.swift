/// A user's consent to work in one scope, with the evidence of how it was given.
public struct ConsentRecord: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var scope: String
    public var grantedAt: Int64
    public var expiresAt: Int64?
    public var revokedAt: Int64?
    public var evidence: ConsentEvidence

    public init(id: String, userID: String, scope: String, grantedAt: Int64, expiresAt: Int64?, revokedAt: Int64?, evidence: ConsentEvidence) {
        self.id = id
        self.userID = userID
        self.scope = scope
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.evidence = evidence
    }

    /// What the consent allows at `now`.
    public func status(at now: Int64) -> ConsentStatus {
        if self.revokedAt != nil { return .revoked }
        if let expiresAt = self.expiresAt, expiresAt <= now { return .expired }
        return .granted
    }
}

/// Who recorded a consent, under which policy, from where.
public struct ConsentEvidence: Sendable, Equatable {
    public var recordedBy: String
    public var policyVersion: String
    public var source: String

    public init(recordedBy: String, policyVersion: String, source: String) {
        self.recordedBy = recordedBy
        self.policyVersion = policyVersion
        self.source = source
    }
}

/// The outcome of a consent check (the `result` label of `arbiter_consent_checks_total`).
public enum ConsentStatus: String, Sendable, CaseIterable {
    case granted
    /// The user never consented in this scope.
    case denied
    case expired
    case revoked

    /// The status of a user and scope from all their consents: granted if any is in force, else that of
    /// the newest, else denied.
    public static func of(_ consents: [ConsentRecord], at now: Int64) -> ConsentStatus {
        if consents.contains(where: { $0.status(at: now) == .granted }) { return .granted }
        return consents.max { $0.grantedAt < $1.grantedAt }?.status(at: now) ?? .denied
    }
}

/// Which consents a listing returns; every set field must match.
public struct ConsentFilter: Sendable, Equatable {
    public var userID: String?
    public var scope: String?
    /// `granted` (in force), `expired` or `revoked`.
    public var status: ConsentStatus?

    public init(userID: String? = nil, scope: String? = nil, status: ConsentStatus? = nil) {
        self.userID = userID
        self.scope = scope
        self.status = status
    }
}

/// What revoking or expiring consents did, so the scheduler can tell running workers to stop.
public struct ConsentChange: Sendable {
    /// The consents that ended.
    public var consents: [ConsentRecord]
    /// Jobs cancelled because their user's consent ended, with the lease a running one had.
    public var cancelled: [(job: JobRecord, lease: JobLease?)]
    /// False when the consent had already ended (revoking twice).
    public var changed: Bool

    public init(consents: [ConsentRecord], cancelled: [(job: JobRecord, lease: JobLease?)], changed: Bool = true) {
        self.consents = consents
        self.cancelled = cancelled
        self.changed = changed
    }
}

/// Told of every consent check the store makes (at submission and at dispatch).
public protocol ConsentObserver: Sendable {
    func checked(scope: String, status: ConsentStatus)
}

public struct NoConsentObserver: ConsentObserver {
    public init() {}
    public func checked(scope: String, status: ConsentStatus) {}
}
