import ArbiterJobs

extension SQLiteTransaction {
    func consent(id: String) throws -> ConsentRecord? {
        try self.connection.query("SELECT \(ConsentRow.columns) FROM user_consents WHERE id = ?", [.text(id)]).first.map(ConsentRow.decode)
    }

    func consents(userID: String, scope: String) throws -> [ConsentRecord] {
        try self.connection.query(
            "SELECT \(ConsentRow.columns) FROM user_consents WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)]
        ).map(ConsentRow.decode)
    }

    func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) throws -> [ConsentRecord] {
        let conditions = SQLFilter(.consents(filter, after: cursor, now: now, never: "0"))
        let (sql, bound) = conditions.page(ConsentRow.columns, from: "user_consents", orderBy: "id", limit: limit)
        return try self.connection.query(sql, bound).map(ConsentRow.decode)
    }

    func insertConsent(_ consent: ConsentRecord) throws {
        try self.connection.query(
            """
            INSERT INTO user_consents (id, user_id, scope, granted_at, expires_at, recorded_by, policy_version, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.text(consent.id), .text(consent.userID), .text(consent.scope), .integer(consent.grantedAt), SQLiteValue(consent.expiresAt),
             .text(consent.evidence.recordedBy), .text(consent.evidence.policyVersion), .text(consent.evidence.source)])
    }

    func markConsentRevoked(id: String, at: Int64) throws -> Bool {
        try self.connection.query("UPDATE user_consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(at), .text(id)])
        return self.connection.changes > 0
    }

    func consentsDueToExpire(now: Int64) throws -> [ConsentRecord] {
        try self.connection.query(
            """
            SELECT \(ConsentRow.columns) FROM user_consents
            WHERE revoked_at IS NULL AND expires_at <= ? AND expiry_handled_at IS NULL ORDER BY expires_at
            """,
            [.integer(now)]
        ).map(ConsentRow.decode)
    }

    func markConsentExpiryHandled(id: String, at: Int64) throws {
        try self.connection.query("UPDATE user_consents SET expiry_handled_at = ? WHERE id = ?", [.integer(at), .text(id)])
    }

    func sealedCredential(userID: String, scope: String) throws -> SealedCredential? {
        guard let row = try self.connection.query(
            "SELECT key_id, nonce, ciphertext FROM credentials WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)]).first
        else { return nil }
        return SealedCredential(keyID: row[0].text ?? "", nonce: row[1].blob ?? [], ciphertext: row[2].blob ?? [])
    }

    func putCredential(userID: String, scope: String, _ sealed: SealedCredential, at now: Int64) throws {
        try self.connection.query(
            """
            INSERT INTO credentials (user_id, scope, key_id, nonce, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (user_id, scope) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
                ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
            """,
            [.text(userID), .text(scope), .text(sealed.keyID), .blob(sealed.nonce), .blob(sealed.ciphertext), .integer(now), .integer(now)])
    }

    func deleteCredential(userID: String, scope: String) throws -> Bool {
        try self.connection.query("DELETE FROM credentials WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)])
        return self.connection.changes > 0
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
