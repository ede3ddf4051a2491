import ArbiterCore

// Consents and the credential vault. Each change is one transaction with its audit entries; a consent
// that ends takes the user's jobs in the scope and the user's credential for it along in that
// transaction, unless another consent for the scope is still in force.
extension Ledger: ConsentStore {
    public func grantConsent(userID: String, scope: String, expiresAt: Int64?, evidence: ConsentEvidence, now: Int64) async throws -> ConsentRecord {
        try await self.write(now: now) { transaction, audit, gate in
            gate.forget(userID: userID, scope: scope)
            let consent = ConsentRecord(
                id: UUIDv7.generate(now: now), userID: userID, scope: scope, grantedAt: now, expiresAt: expiresAt, revokedAt: nil, evidence: evidence)
            try transaction.insertConsent(consent)
            var details = [("user_id", userID), ("scope", scope), ("recorded_by", evidence.recordedBy), ("policy_version", evidence.policyVersion),
                           ("source", evidence.source)]
            if let expiresAt { details.append(("expires_at", RFC3339.format(milliseconds: expiresAt))) }
            try audit.record("consent.granted", "consent", consent.id, details)
            return consent
        }
    }

    public func revokeConsent(id: String, now: Int64) async throws -> ConsentChange {
        try await self.write(now: now) { transaction, audit, gate in
            let revoked = try transaction.markConsentRevoked(id: id, at: now)
            guard let consent = try transaction.consent(id: id) else { throw JobStoreError(.notFound, "consent \(id) does not exist") }
            guard revoked else { return ConsentChange(consents: [consent], cancelled: [], changed: false) }
            gate.forget(userID: consent.userID, scope: consent.scope)
            try audit.record("consent.revoked", "consent", id, [("user_id", consent.userID), ("scope", consent.scope)])
            let cancelled = try Self.endConsent(consent, reason: "consent_revoked", now: now, transaction, audit)
            return ConsentChange(consents: [consent], cancelled: cancelled)
        }
    }

    public func expireConsents(now: Int64) async throws -> ConsentChange {
        try await self.write(now: now) { transaction, audit, gate in
            let due = try transaction.consentsDueToExpire(now: now)
            var cancelled: [(job: JobRecord, lease: JobLease?)] = []
            for consent in due {
                gate.forget(userID: consent.userID, scope: consent.scope)
                try transaction.markConsentExpiryHandled(id: consent.id, at: now)
                try audit.record("consent.expired", "consent", consent.id, [("user_id", consent.userID), ("scope", consent.scope)])
                cancelled += try Self.endConsent(consent, reason: "consent_expired", now: now, transaction, audit)
            }
            return ConsentChange(consents: due, cancelled: cancelled)
        }
    }

    public func consent(id: String) async throws -> ConsentRecord? {
        try await self.read { transaction in try transaction.consent(id: id) }
    }

    public func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) async throws -> [ConsentRecord] {
        guard filter.status != .denied else { return [] }
        return try await self.read { transaction in try transaction.consents(filter, after: cursor, limit: limit, now: now) }
    }

    public func consentStatus(userID: String, scope: String, now: Int64) async throws -> ConsentStatus {
        let observer = self.options.consentObserver
        return try await self.read { transaction in
            let status = ConsentStatus.of(try transaction.consents(userID: userID, scope: scope), at: now)
            observer.checked(scope: scope, status: status)
            return status
        }
    }

    public func putCredential(userID: String, scope: String, secret: [UInt8], now: Int64) async throws {
        guard let vault = self.options.vault else { throw VaultUnavailable() }
        let sealed = try vault.seal(secret, userID: userID, scope: scope)
        _ = try await self.write(now: now) { transaction, audit, gate in
            gate.forget(userID: userID, scope: scope)
            let status = try gate.status(userID: userID, scope: scope, now: now)
            guard status == .granted else {
                throw JobStoreError(.consentRequired, "user \(userID) has no consent in force for scope \(scope) (\(status.rawValue))")
            }
            try transaction.putCredential(userID: userID, scope: scope, sealed, at: now)
            try audit.record("credential.stored", "credential", "\(userID)/\(scope)", [("key_id", sealed.keyID)])
        }
    }

    public func deleteCredential(userID: String, scope: String, now: Int64) async throws -> Bool {
        try await self.write(now: now) { transaction, audit, gate in
            gate.forget(userID: userID, scope: scope)
            return try Self.deleteCredential(userID: userID, scope: scope, reason: "deleted", transaction, audit)
        }
    }

    private static func deleteCredential(
        userID: String, scope: String, reason: String, _ transaction: any StoreTransaction, _ audit: AuditTrail
    ) throws -> Bool {
        guard try transaction.deleteCredential(userID: userID, scope: scope) else { return false }
        try audit.record("credential.deleted", "credential", "\(userID)/\(scope)", [("reason", reason)])
        return true
    }

    /// A consent ended: unless another one for the scope is in force, the user's unfinished jobs in the
    /// scope are cancelled and the user's credential for it is deleted.
    private static func endConsent(
        _ consent: ConsentRecord, reason: String, now: Int64, _ transaction: any StoreTransaction, _ audit: AuditTrail
    ) throws -> [(job: JobRecord, lease: JobLease?)] {
        let remaining = try transaction.consents(userID: consent.userID, scope: consent.scope)
        guard ConsentStatus.of(remaining, at: now) != .granted else { return [] }
        var cancelled: [(job: JobRecord, lease: JobLease?)] = []
        for job in try transaction.unfinishedJobs(userID: consent.userID, scope: consent.scope) {
            let (after, lease) = try Self.cancel(job, reason: reason, now: now, transaction, audit)
            cancelled.append((after, lease))
        }
        _ = try Self.deleteCredential(userID: consent.userID, scope: consent.scope, reason: reason, transaction, audit)
        return cancelled
    }
}
