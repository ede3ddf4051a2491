import ArbiterJobs

extension PostgresTransaction {
    private static let consentColumns = "id, user_id, scope, granted_at, expires_at, revoked_at, recorded_by, policy_version, source"

    func consent(id: String) throws -> ConsentRecord? {
        try self.query("SELECT \(Self.consentColumns) FROM user_consents WHERE id = $1", [.text(id)]).first.map(Self.decodeConsent)
    }

    func consents(userID: String, scope: String) throws -> [ConsentRecord] {
        try self.query(
            "SELECT \(Self.consentColumns) FROM user_consents WHERE user_id = $1 AND scope = $2", [.text(userID), .text(scope)]
        ).map(Self.decodeConsent)
    }

    func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) throws -> [ConsentRecord] {
        let conditions = PostgresFilter(.consents(filter, after: cursor, now: now, never: "FALSE"))
        let (sql, bound) = conditions.page(Self.consentColumns, from: "user_consents", orderBy: "id", limit: limit)
        return try self.query(sql, bound).map(Self.decodeConsent)
    }

    func insertConsent(_ consent: ConsentRecord) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO user_consents (id, user_id, scope, granted_at, expires_at, recorded_by, policy_version, source)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            [.text(consent.id), .text(consent.userID), .text(consent.scope), .int64(consent.grantedAt), PostgresValue(consent.expiresAt),
             .text(consent.evidence.recordedBy), .text(consent.evidence.policyVersion), .text(consent.evidence.source)])
    }

    func markConsentRevoked(id: String, at: Int64) throws -> Bool {
        try self.requireWrite()
        try self.query("UPDATE user_consents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [.int64(at), .text(id)])
        return self.changes > 0
    }

    func consentsDueToExpire(now: Int64) throws -> [ConsentRecord] {
        try self.query(
            """
            SELECT \(Self.consentColumns) FROM user_consents
            WHERE revoked_at IS NULL AND expires_at <= $1 AND expiry_handled_at IS NULL ORDER BY expires_at
            """,
            [.int64(now)]
        ).map(Self.decodeConsent)
    }

    func markConsentExpiryHandled(id: String, at: Int64) throws {
        try self.requireWrite()
        try self.query("UPDATE user_consents SET expiry_handled_at = $1 WHERE id = $2", [.int64(at), .text(id)])
    }

    func sealedCredential(userID: String, scope: String) throws -> SealedCredential? {
        guard let row = try self.query(
            "SELECT key_id, nonce, ciphertext FROM credentials WHERE user_id = $1 AND scope = $2", [.text(userID), .text(scope)]).first
        else { return nil }
        return SealedCredential(keyID: row[0].text ?? "", nonce: row[1].bytes ?? [], ciphertext: row[2].bytes ?? [])
    }

    func putCredential(userID: String, scope: String, _ sealed: SealedCredential, at now: Int64) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO credentials (user_id, scope, key_id, nonce, ciphertext, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
            ON CONFLICT (user_id, scope) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
                ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
            """,
            [.text(userID), .text(scope), .text(sealed.keyID), .bytea(sealed.nonce), .bytea(sealed.ciphertext), .int64(now)])
    }

    func deleteCredential(userID: String, scope: String) throws -> Bool {
        try self.requireWrite()
        try self.query("DELETE FROM credentials WHERE user_id = $1 AND scope = $2", [.text(userID), .text(scope)])
        return self.changes > 0
    }

    private static func decodeConsent(_ row: PostgresRow) throws -> ConsentRecord {
        guard row.count >= 9, let id = row[0].text, let user = row[1].text, let scope = row[2].text else {
            throw JobStoreError(.notFound, "a user_consents row could not be read")
        }
        return ConsentRecord(
            id: id, userID: user, scope: scope, grantedAt: row[3].int64 ?? 0, expiresAt: row[4].int64, revokedAt: row[5].int64,
            evidence: ConsentEvidence(recordedBy: row[6].text ?? "", policyVersion: row[7].text ?? "", source: row[8].text ?? ""))
    }
}
