import ArbiterJobs

/// The consent checks a store operation makes inside its transaction: at submission (refuse a job
/// whose user has no consent in force) and at dispatch (cancel such a job instead of leasing it, and
/// put the user's credential into the lease of one whose consent holds).
struct ConsentGate: Sendable {
    let vault: CredentialVault?
    let observer: any ConsentObserver

    /// The user's consent status for a scope at `now`, counted.
    func status(userID: String, scope: String, now: Int64, _ connection: SQLiteConnection) throws -> ConsentStatus {
        let status = ConsentStatus.of(try Self.consents(userID: userID, scope: scope, connection), at: now)
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
        guard let row = try connection.query(
            "SELECT key_id, nonce, ciphertext FROM credentials WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)]).first
        else { return nil }
        guard let vault = self.vault else { throw VaultError("a credential is stored but no vault key is configured") }
        let sealed = CredentialVault.Sealed(keyID: row[0].text ?? "", nonce: row[1].blob ?? [], ciphertext: row[2].blob ?? [])
        return String(decoding: try vault.open(sealed, userID: userID, scope: scope), as: UTF8.self)
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
