/// The job store the daemon uses: every decision about jobs, workers, consents, credentials, tokens
/// and the audit log, made here once, over whichever backend keeps the rows (SQLite on one box,
/// PostgreSQL for several). A backend only persists and selects (``StoreTransaction``); the ledger
/// decides which transition is legal, which job is leased within caps and quotas, whether consent
/// holds, what is audited, and it does so inside the backend's transaction, so the consent check and
/// the audit entry commit with the change or not at all.
///
/// - Important: Call ``close()`` before dropping it; it closes the backend.
public final class Ledger: Sendable {
    let backend: any StoreBackend
    let options: LedgerOptions
    /// Consents and opened credentials kept between transactions, only where this process is the
    /// backend's sole writer.
    let cache: ConsentCache?

    public init(backend: any StoreBackend, options: LedgerOptions = LedgerOptions()) {
        self.backend = backend
        self.options = options
        let cache = backend.soleWriter ? ConsentCache() : nil
        self.cache = cache
        if let cache { backend.onRollback { cache.clear() } }
    }

    /// Registers what to call when any process on the store queued work (PostgreSQL's `NOTIFY`), with
    /// the types if known. A store only one process writes calls nothing: its scheduler wakes itself.
    public func onQueued(_ handler: @escaping @Sendable (Set<String>?) -> Void) {
        self.backend.onQueued(handler)
    }

    /// Finishes the operations already submitted and closes the backend.
    public func close() async throws {
        try await self.backend.close()
    }

    /// Runs `body` atomically in the backend's next commit, with an audit trail that writes in the
    /// same transaction on behalf of the calling task's ``AuditActor``.
    func write<T: Sendable>(now: Int64, _ body: @escaping @Sendable (any StoreTransaction, AuditTrail, ConsentGate) throws -> T) async throws -> T {
        let (actor, options, cache) = (AuditActor.current, self.options, self.cache)
        return try await self.backend.write { transaction in
            let audit = AuditTrail(transaction: transaction, actor: actor, now: now, observer: options.auditObserver, enabled: options.auditing)
            let gate = ConsentGate(transaction: transaction, vault: options.vault, observer: options.consentObserver, cache: cache)
            return try body(transaction, audit, gate)
        }
    }

    /// Runs a read-only `body`.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await self.backend.read(body)
    }
}

/// What a ledger is told and holds besides its backend.
public struct LedgerOptions: Sendable {
    /// Told of every audit write and failure (for metrics).
    public var auditObserver: any AuditObserver
    /// Seals and opens users' credentials; without one, storing a credential is refused.
    public var vault: CredentialVault?
    /// Told of every consent check (for metrics).
    public var consentObserver: any ConsentObserver
    /// `false` writes no audit entries at all. Only for measuring what auditing costs: no
    /// configuration key reaches it.
    public var auditing: Bool

    public init(
        auditObserver: any AuditObserver = NoAuditObserver(), vault: CredentialVault? = nil,
        consentObserver: any ConsentObserver = NoConsentObserver(), auditing: Bool = true
    ) {
        self.auditObserver = auditObserver
        self.vault = vault
        self.consentObserver = consentObserver
        self.auditing = auditing
    }
}
