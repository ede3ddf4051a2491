/// Where consents and the credential vault are kept. Every change is one transaction with its audit
/// entries; ending a consent cancels, in that same transaction, the user's jobs in the scope and
/// deletes the user's credential for it, unless another consent for the scope is still in force.
public protocol ConsentStore: Sendable {
    /// Records a consent.
    func grantConsent(userID: String, scope: String, expiresAt: Int64?, evidence: ConsentEvidence, now: Int64) async throws -> ConsentRecord

    /// Revokes a consent (revoking twice changes nothing more).
    /// - Throws: ``JobStoreError/notFound``.
    func revokeConsent(id: String, now: Int64) async throws -> ConsentChange

    /// Ends the consents whose `expires_at` has come (once each).
    func expireConsents(now: Int64) async throws -> ConsentChange

    func consent(id: String) async throws -> ConsentRecord?

    /// A page of consents, oldest first, after `cursor` (an id from an earlier page).
    func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) async throws -> [ConsentRecord]

    /// Whether work for `userID` in `scope` may happen at `now`.
    func consentStatus(userID: String, scope: String, now: Int64) async throws -> ConsentStatus

    /// Stores (or replaces) a user's secret for a scope, sealed with the vault's current key.
    /// - Throws: ``JobStoreError/consentRequired`` when the user's consent for the scope is not in force.
    func putCredential(userID: String, scope: String, secret: [UInt8], now: Int64) async throws

    /// Deletes a user's secret for a scope.
    /// - Returns: Whether there was one.
    func deleteCredential(userID: String, scope: String, now: Int64) async throws -> Bool
}

/// Credentials cannot be stored: no vault key is configured.
public struct VaultUnavailable: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "no vault key is configured (vault.key_file or ARBITER_VAULT_KEY)" }
}
