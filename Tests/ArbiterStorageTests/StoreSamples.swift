import ArbiterJobs

/// The jobs, consents and keys the conformance suite stores.
enum StoreSamples {
    /// Two attempts, 1 s backoff cap after the first.
    static let retry = RetryPolicy(maxAttempts: 2, initialBackoff: .seconds(1), maxBackoff: .seconds(10), timeout: .seconds(30))

    /// The scope the consent tests' job type needs.
    static let scope = "odds.read"

    static let evidence = ConsentEvidence(recordedBy: "signup-form", policyVersion: "2026-11", source: "web")

    /// The secret the vault tests store.
    static let secret = "session-7f3a"

    static func submission(
        _ type: String = "email", priority: Int = 0, runAt: Int64 = 1000, key: String? = nil, hash: String? = nil, tags: [String] = ["t1"]
    ) -> JobSubmission {
        JobSubmission(
            type: type, payload: #"{"to":"a@example.com"}"#, priority: priority, runAt: runAt, retry: Self.retry, idempotencyKey: key,
            requestHash: hash, tags: tags)
    }

    /// A job of the `odds` type, which needs consent in ``scope``, for `user`.
    static func consented(_ user: String?, runAt: Int64 = 1000, priority: Int = 0, scope: String = StoreSamples.scope) -> JobSubmission {
        JobSubmission(
            type: "odds", payload: #"{"match":42}"#, priority: priority, runAt: runAt, retry: Self.retry, userID: user, consentScope: scope)
    }

    /// A vault whose active key is 32 times `byte`, opening also what the `previous` keys sealed.
    static func vault(_ byte: UInt8, previous: [UInt8] = []) throws -> CredentialVault {
        try CredentialVault(active: Self.key(byte), previous: previous.map(Self.key))
    }

    static func key(_ byte: UInt8) -> [UInt8] {
        [UInt8](repeating: byte, count: 32)
    }

    /// A 32-byte token hash that differs for every `index`.
    static func tokenHash(_ index: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(index).bigEndian) { Array($0) } + [UInt8](repeating: 0xA5, count: 24)
    }
}
