import Synchronization

/// The consent checks an operation makes inside its transaction: at submission (refuse a job whose
/// user has no consent in force) and at dispatch (cancel such a job instead of leasing it, and put the
/// user's credential into the lease of one whose consent holds).
struct ConsentGate {
    let transaction: any StoreTransaction
    let vault: CredentialVault?
    let observer: any ConsentObserver
    /// What earlier transactions read, where this process is the only writer; `nil` otherwise.
    let cache: ConsentCache?

    /// The user's consent status for a scope at `now`, counted.
    func status(userID: String, scope: String, now: Int64) throws -> ConsentStatus {
        let key = ConsentCache.key(userID, scope)
        let consents: [ConsentRecord]
        if let known = self.cache?.consents(key) {
            consents = known
        } else {
            consents = try self.transaction.consents(userID: userID, scope: scope)
            self.cache?.remember(key, consents: consents)
        }
        let status = ConsentStatus.of(consents, at: now)
        self.observer.checked(scope: scope, status: status)
        return status
    }

    /// Refuses a submission whose user has no consent in force for the job type's scope.
    func checkSubmission(_ submission: JobSubmission, index: Int, now: Int64) throws {
        guard let scope = submission.consentScope else { return }
        guard let user = submission.userID else {
            throw JobStoreError(.consentRequired, "job type \(submission.type) needs consent scope \(scope), so the job needs a user_id", index: index)
        }
        let status = try self.status(userID: user, scope: scope, now: now)
        guard status == .granted else {
            throw JobStoreError(.consentRequired, "user \(user) has no consent in force for scope \(scope) (\(status.rawValue))", index: index)
        }
    }

    /// The user's secret for the scope, opened, if one is stored.
    /// - Throws: ``VaultError`` when no configured key opens it; what the store throws.
    func credential(userID: String, scope: String) throws -> String? {
        let key = ConsentCache.key(userID, scope)
        if let known = self.cache?.opened(key) { return known }
        guard let sealed = try self.transaction.sealedCredential(userID: userID, scope: scope) else {
            self.cache?.remember(key, opened: nil)
            return nil
        }
        guard let vault = self.vault else { throw VaultError("a credential is stored but no vault key is configured") }
        let opened: String
        do {
            opened = String(decoding: try vault.open(sealed, userID: userID, scope: scope), as: UTF8.self)
        } catch {
            throw error as? VaultError ?? VaultError("the credential does not open with key \(sealed.keyID): \(error)")
        }
        self.cache?.remember(key, opened: opened)
        return opened
    }

    /// Forgets what is kept for a user and scope (their consents or credential are changing).
    func forget(userID: String, scope: String) {
        self.cache?.forget(userID: userID, scope: scope)
    }
}

/// What the sole writer has read of consents and credentials, by user and scope. Every write that
/// changes a user's consents or credential for a scope forgets that entry in the same operation; a
/// group commit that fails forgets everything (an operation in the group may have read a change that
/// was then rolled back).
final class ConsentCache: Sendable {
    private struct Kept {
        var consents: [String: [ConsentRecord]] = [:]
        /// Opened credentials; `.some(nil)`: known to have none. The process holds the vault's key, so
        /// keeping what it opened is no weaker than keeping what it could open.
        var opened: [String: String?] = [:]
    }

    private let kept = Mutex(Kept())
    private let capacity = 100_000

    static func key(_ userID: String, _ scope: String) -> String { userID + "\u{0}" + scope }

    func consents(_ key: String) -> [ConsentRecord]? {
        self.kept.withLock { $0.consents[key] }
    }

    /// `nil`: not known; `.some(nil)`: known to have none.
    func opened(_ key: String) -> String?? {
        self.kept.withLock { $0.opened[key] }
    }

    func remember(_ key: String, consents: [ConsentRecord]) {
        self.kept.withLock { kept in
            if kept.consents.count >= self.capacity { kept.consents.removeAll() }
            kept.consents[key] = consents
        }
    }

    func remember(_ key: String, opened: String?) {
        self.kept.withLock { kept in
            if kept.opened.count >= self.capacity { kept.opened.removeAll() }
            kept.opened[key] = .some(opened)
        }
    }

    func forget(userID: String, scope: String) {
        let key = Self.key(userID, scope)
        self.kept.withLock { kept in
            kept.consents.removeValue(forKey: key)
            kept.opened.removeValue(forKey: key)
        }
    }

    func clear() {
        self.kept.withLock { kept in
            kept.consents.removeAll()
            kept.opened.removeAll()
        }
    }
}
