import ArbiterCore
import ArbiterJobs

// Consents and the credential vault. Each change is one transaction with its audit entries; a consent
// that ends takes the user's jobs in the scope and the user's credential for it along in that
// transaction, unless another consent for the scope is still in force.
extension SQLiteJobStore: ConsentStore {
    public func grantConsent(userID: String, scope: String, expiresAt: Int64?, evidence: ConsentEvidence, now: Int64) async throws -> ConsentRecord {
        let cache = self.consentGate.cache
        return try await self.run(now: now) { connection, audit in
            cache?.forget(userID: userID, scope: scope)
            let id = UUIDv7.generate(now: now)
            try connection.query(
                """
                INSERT INTO user_consents (id, user_id, scope, granted_at, expires_at, recorded_by, policy_version, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(id), .text(userID), .text(scope), .integer(now), SQLiteValue(expiresAt), .text(evidence.recordedBy),
                 .text(evidence.policyVersion), .text(evidence.source)])
            var details = [("user_id", userID), ("scope", scope), ("recorded_by", evidence.recordedBy), ("policy_version", evidence.policyVersion),
                           ("source", evidence.source)]
            if let expiresAt { details.append(("expires_at", RFC3339.format(milliseconds: expiresAt))) }
            try audit.record("consent.granted", "consent", id, details)
            return ConsentRecord(id: id, userID: userID, scope: scope, grantedAt: now, expiresAt: expiresAt, revokedAt: nil, evidence: evidence)
        }
    }

    public func revokeConsent(id: String, now: Int64) async throws -> ConsentChange {
        let cache = self.consentGate.cache
        return try await self.run(now: now) { connection, audit in
            try connection.query("UPDATE user_consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(now), .text(id)])
            let revoked = connection.changes > 0
            guard let consent = try connection.query("SELECT \(ConsentRow.columns) FROM user_consents WHERE id = ?", [.text(id)]).first.map(ConsentRow.decode)
            else {
                throw JobStoreError(.notFound, "consent \(id) does not exist")
            }
            guard revoked else { return ConsentChange(consents: [consent], cancelled: [], changed: false) }
            cache?.forget(userID: consent.userID, scope: consent.scope)
            try audit.record("consent.revoked", "consent", id, [("user_id", consent.userID), ("scope", consent.scope)])
            let cancelled = try Self.endConsent(consent, reason: "consent_revoked", now: now, connection, audit)
            return ConsentChange(consents: [consent], cancelled: cancelled)
        }
    }

    public func expireConsents(now: Int64) async throws -> ConsentChange {
        let cache = self.consentGate.cache
        return try await self.run(now: now) { connection, audit in
            let due = try connection.query(
                """
                SELECT \(ConsentRow.columns) FROM user_consents
                WHERE revoked_at IS NULL AND expires_at <= ? AND expiry_handled_at IS NULL ORDER BY expires_at
                """,
                [.integer(now)]
            ).map(ConsentRow.decode)
            var cancelled: [(job: JobRecord, lease: JobLease?)] = []
            for consent in due {
                cache?.forget(userID: consent.userID, scope: consent.scope)
                try connection.query("UPDATE user_consents SET expiry_handled_at = ? WHERE id = ?", [.integer(now), .text(consent.id)])
                try audit.record("consent.expired", "consent", consent.id, [("user_id", consent.userID), ("scope", consent.scope)])
                cancelled += try Self.endConsent(consent, reason: "consent_expired", now: now, connection, audit)
            }
            return ConsentChange(consents: due, cancelled: cancelled)
        }
    }

    public func consent(id: String) async throws -> ConsentRecord? {
        try await self.read { connection in
            try connection.query("SELECT \(ConsentRow.columns) FROM user_consents WHERE id = ?", [.text(id)]).first.map(ConsentRow.decode)
        }
    }

    public func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) async throws -> [ConsentRecord] {
        var conditions = SQLFilter()
        conditions.add("user_id = ?", filter.userID.map { .text($0) })
        conditions.add("scope = ?", filter.scope.map { .text($0) })
        switch filter.status {
        case .granted?: conditions.add("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", .integer(now))
        case .expired?: conditions.add("revoked_at IS NULL AND expires_at <= ?", .integer(now))
        case .revoked?: conditions.add("revoked_at IS NOT NULL", values: [])
        case .denied?: conditions.add("0", values: [])
        case nil: break
        }
        conditions.add("id > ?", cursor.map { .text($0) })
        let (sql, bound) = conditions.page(ConsentRow.columns, from: "user_consents", orderBy: "id", limit: limit)
        return try await self.read { connection in try connection.query(sql, bound).map(ConsentRow.decode) }
    }

    public func consentStatus(userID: String, scope: String, now: Int64) async throws -> ConsentStatus {
        // The reader's own gate: the writer's cache is for the writer's thread only.
        let gate = ConsentGate(vault: self.consentGate.vault, observer: self.consentGate.observer, cache: nil)
        return try await self.read { connection in try gate.status(userID: userID, scope: scope, now: now, connection) }
    }

    public func putCredential(userID: String, scope: String, secret: [UInt8], now: Int64) async throws {
        guard let vault = self.consentGate.vault else { throw VaultUnavailable() }
        let gate = self.consentGate
        let sealed = try vault.seal(secret, userID: userID, scope: scope)
        _ = try await self.run(now: now) { connection, audit in
            gate.cache?.forget(userID: userID, scope: scope)
            let status = try gate.status(userID: userID, scope: scope, now: now, connection)
            guard status == .granted else {
                throw JobStoreError(.consentRequired, "user \(userID) has no consent in force for scope \(scope) (\(status.rawValue))")
            }
            try connection.query(
                """
                INSERT INTO credentials (user_id, scope, key_id, nonce, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id, scope) DO UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce,
                    ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
                """,
                [.text(userID), .text(scope), .text(sealed.keyID), .blob(sealed.nonce), .blob(sealed.ciphertext), .integer(now), .integer(now)])
            try audit.record("credential.stored", "credential", "\(userID)/\(scope)", [("key_id", sealed.keyID)])
        }
    }

    public func deleteCredential(userID: String, scope: String, now: Int64) async throws -> Bool {
        let cache = self.consentGate.cache
        return try await self.run(now: now) { connection, audit in
            cache?.forget(userID: userID, scope: scope)
            return try Self.deleteCredential(userID: userID, scope: scope, reason: "deleted", connection, audit)
        }
    }

    private static func deleteCredential(userID: String, scope: String, reason: String, _ connection: SQLiteConnection, _ audit: AuditTrail) throws -> Bool {
        try connection.query("DELETE FROM credentials WHERE user_id = ? AND scope = ?", [.text(userID), .text(scope)])
        guard connection.changes > 0 else { return false }
        try audit.record("credential.deleted", "credential", "\(userID)/\(scope)", [("reason", reason)])
        return true
    }

    /// A consent ended: unless another one for the scope is in force, the user's unfinished jobs in the
    /// scope are cancelled and the user's credential for it is deleted.
    private static func endConsent(
        _ consent: ConsentRecord, reason: String, now: Int64, _ connection: SQLiteConnection, _ audit: AuditTrail
    ) throws -> [(job: JobRecord, lease: JobLease?)] {
        let remaining = try ConsentGate.consents(userID: consent.userID, scope: consent.scope, connection)
        guard ConsentStatus.of(remaining, at: now) != .granted else { return [] }
        let jobs = try connection.query(
            """
            SELECT \(JobRow.columns) FROM jobs
            WHERE user_id = ? AND consent_scope = ? AND state IN ('scheduled', 'queued', 'running') ORDER BY id
            """,
            [.text(consent.userID), .text(consent.scope)]
        ).map(JobRow.decode)
        var cancelled: [(job: JobRecord, lease: JobLease?)] = []
        for job in jobs {
            let lease = try Self.cancel(job, reason: reason, now: now, connection, audit)
            cancelled.append((try Self.load(job.id, connection), lease))
        }
        _ = try Self.deleteCredential(userID: consent.userID, scope: consent.scope, reason: reason, connection, audit)
        return cancelled
    }
}
