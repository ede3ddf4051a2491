/// One entry of the hash-chained audit log.
public struct AuditEntry: Sendable, Equatable {
    /// Position in the chain, from 1.
    public var seq: Int64
    /// When (Unix ms).
    public var at: Int64
    /// Who made the change (see ``AuditActor``).
    public var actor: String
    /// What kind of change, such as `job.submitted` or `consent.revoked`.
    public var action: String
    /// What was changed: `job`, `worker`, `consent`, `credential`, `token`, `job_type`, `config`.
    public var subjectType: String
    public var subjectID: String
    /// A JSON object with the change's particulars (never a secret).
    public var details: String
    /// SHA-256 of the entry before (32 zero bytes for the first).
    public var prevHash: [UInt8]
    /// SHA-256(prev_hash ‖ canonical encoding of this entry).
    public var hash: [UInt8]

    public init(
        seq: Int64, at: Int64, actor: String, action: String, subjectType: String, subjectID: String, details: String, prevHash: [UInt8],
        hash: [UInt8]
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.details = details
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// Which audit entries a listing returns; every set field must match.
public struct AuditFilter: Sendable, Equatable {
    public var actor: String?
    public var action: String?
    public var subjectType: String?
    public var subjectID: String?
    /// At or after (Unix ms).
    public var since: Int64?
    /// Before (Unix ms).
    public var until: Int64?

    public init(
        actor: String? = nil, action: String? = nil, subjectType: String? = nil, subjectID: String? = nil, since: Int64? = nil,
        until: Int64? = nil
    ) {
        self.actor = actor
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.since = since
        self.until = until
    }
}

/// The result of walking the chain.
public struct AuditVerification: Sendable, Equatable {
    /// The chain's length as verified: the last verified entry's `seq` (archived entries included).
    public var length: Int64
    /// The first entry that does not fit the chain, and why; `nil` when the chain is whole.
    public var firstBroken: Broken?
    /// The last entry that verified: the chain's head when it is whole.
    public var head: AuditHead?
    /// Where the stored chain begins when older entries were archived (the walk starts after it).
    public var anchor: AuditHead?

    public struct Broken: Sendable, Equatable {
        public var seq: Int64
        public var reason: String

        public init(seq: Int64, reason: String) {
            self.seq = seq
            self.reason = reason
        }
    }

    public init(length: Int64, firstBroken: Broken?, head: AuditHead? = nil, anchor: AuditHead? = nil) {
        self.length = length
        self.firstBroken = firstBroken
        self.head = head
        self.anchor = anchor
    }

    public var intact: Bool { self.firstBroken == nil }
}

/// Reads and checks the audit log.
public protocol AuditStore: Sendable {
    /// A page of entries matching `filter`, oldest first, after entry `cursor`.
    func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) async throws -> [AuditEntry]
    /// Walks the whole chain, recomputing every hash.
    func verifyAudit() async throws -> AuditVerification
    /// The chain's last entry as stored (not verified), `nil` while it is empty.
    func auditChainHead() async throws -> AuditHead?
    /// Entry `seq`'s hash as stored, `nil` when there is no such entry.
    func auditEntryHash(seq: Int64) async throws -> [UInt8]?
    /// Records an event that changes no other table (the configuration taking effect, say).
    func recordAuditEvent(action: String, subjectType: String, subjectID: String, details: [(String, String)], now: Int64) async throws
}

/// The audit entry for a change could not be written, so the change was not made (fail closed).
public struct AuditWriteError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Told of every audit write, for metrics.
public protocol AuditObserver: Sendable {
    func written(action: String, duration: Duration)
    func failed()
}

/// An observer that ignores everything.
public struct NoAuditObserver: AuditObserver {
    public init() {}
    public func written(action: String, duration: Duration) {}
    public func failed() {}
}
