import ArbiterJobs

/// The consent checks a store operation makes inside its transaction: at submission (refuse a job
/// whose user has no consent in force) and at dispatch (cancel such a job instead of leasing it, and
/// put the user's credential into the lease of one whose consent holds).
struct ConsentGate: Sendable {
    let vault: CredentialVault?
    let observer: any ConsentObserver

    /// The writer's cache of consents and sealed credentials; `nil` on the reader's connection.
    let cache: ConsentCache?

    /// The user's consent status for a scope at `now`, counted.
    func status(userID: String, scope: String, now: Int64, _ connection: SQLiteConnection) throws -> ConsentStatus {
        let key = ConsentCache.key(userID, scope)
        let consents: [ConsentRecord]
        if let known = self.cache?.consents[key] {
            consents = known
        } else {
            consents = try Self.consents(userID: userID, scope: scope, connection)
            self.cache?.remember(key, consents: consents)
        }
        let status = ConsentStatus.of(consents, at: now)
        self.observer.checked(scope: scope, status: status)
        return status
    }

    /// Refuses a submission whose user has no consent in force for the job type's scope.
    func checkSubmission(_ submission: JobSubmission, index: Int, now: Int64, _ connection: SQLiteConnection) throws {
        guard let scope = submission.consentScope else { return }
        guard let user = submission.userID else {
            throw JobStoreError(.consentRequired, "job type \(submission.type) needs consent scope \(scope), so the job needs a user_id", index: index)
        }
        let status = try self.status(userID: user, scope: scope, now: now, connection)
        guard status == .granted else {
            throw JobStoreError(.consentRequired, "user \(user) has no consent in force for scope \(scope) (\(status.rawValue))", index: index)
        }
    }

    /// The user's secret for the scope, opened, if one is stored.
    func credential(userID: String, scope: String, _ connection: SQLiteConnection) throws -> String? {
        let key = ConsentCache.key(userID, scope)
        if let known = self.cache?.opened[key] { return known }
        guard let row = try connection.query(
            "SELECT key_id, nonce, ciphertext FROM credentials WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)]).first
        else {
            self.cache?.remember(key, opened: nil)
            return nil
        }
        guard let vault = self.vault else { throw VaultError("a credential is stored but no vault key is configured") }
        let sealed = CredentialVault.Sealed(keyID: row[0].text ?? "", nonce: row[1].blob ?? [], ciphertext: row[2].blob ?? [])
        let opened = String(decoding: try vault.open(sealed, userID: userID, scope: scope), as: UTF8.self)
        self.cache?.remember(key, opened: opened)
        return opened
    }

    static func consents(userID: String, scope: String, _ connection: SQLiteConnection) throws -> [ConsentRecord] {
        try connection.query(
            "SELECT \(ConsentRow.columns) FROM user_consents WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)]
        ).map(ConsentRow.decode)
    }
}

/// How a consent is laid out in `user_consents`.
enum ConsentRow {
    static let columns = "id, user_id, scope, granted_at, expires_at, revoked_at, recorded_by, policy_version, source"

    static func decode(_ row: [SQLiteValue]) throws -> ConsentRecord {
        guard row.count >= 9, let id = row[0].text, let user = row[1].text, let scope = row[2].text else {
            throw JobStoreError(.notFound, "a user_consents row could not be read")
        }
        return ConsentRecord(
            id: id, userID: user, scope: scope, grantedAt: row[3].integer ?? 0, expiresAt: row[4].integer, revokedAt: row[5].integer,
            evidence: ConsentEvidence(recordedBy: row[6].text ?? "", policyVersion: row[7].text ?? "", source: row[8].text ?? ""))
    }
}

/// What the store's writer has read of consents and credentials, by user and scope. Only the
/// writer thread touches it, and every write that changes a user's consents or credential for a scope
/// forgets that entry in the same operation; a group commit that fails forgets everything (a lease in
/// the group may have read a change that was then rolled back).
// Safety (@unchecked Sendable): used only on the store's single writer thread.
final class ConsentCache: @unchecked Sendable {
    private(set) var consents: [String: [ConsentRecord]] = [:]
    /// Opened credentials; `.some(nil)`: known to have none. The process holds the vault's key, so
    /// keeping what it opened is no weaker than keeping what it could open.
    private(set) var opened: [String: String?] = [:]
    private let capacity = 100_000

    static func key(_ userID: String, _ scope: String) -> String { userID + "\u{0}" + scope }

    func remember(_ key: String, consents: [ConsentRecord]) {
        if self.consents.count >= self.capacity { self.consents.removeAll() }
        self.consents[key] = consents
    }

    func remember(_ key: String, opened: String?) {
        if self.opened.count >= self.capacity { self.opened.removeAll() }
        self.opened[key] = .some(opened)
    }

    func forget(userID: String, scope: String) {
        let key = Self.key(userID, scope)
        self.consents.removeValue(forKey: key)
        self.opened.removeValue(forKey: key)
    }

    func clear() {
        self.consents.removeAll()
        self.opened.removeAll()
    }
}
