import ArbiterCore
import ArbiterJobs
import Synchronization

/// Why a credential was refused; `reason` is the `arbiter_auth_failures_total` label.
public struct AuthFailure: Error, Equatable, Sendable {
    public let reason: String
    public let message: String

    public init(_ reason: String, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

/// Checks a bearer credential. Never throws: every refusal is an ``AuthFailure`` (a 401).
public protocol BearerVerifier: Sendable {
    func verify(_ credential: String) async -> Result<Principal, AuthFailure>
}

/// Arbiter's own API tokens, looked up by SHA-256. Found tokens are cached for a few seconds so a
/// request does not cost a store read; revoking through this daemon drops the cache entry at once.
public final class TokenVerifier: BearerVerifier {
    private let store: any TokenStore
    private let cache = Mutex<[[UInt8]: (record: TokenRecord, fetched: ContinuousClock.Instant)]>([:])
    private let ttl: Duration

    public init(store: any TokenStore, ttl: Duration = .seconds(5)) {
        self.store = store
        self.ttl = ttl
    }

    public func verify(_ credential: String) async -> Result<Principal, AuthFailure> {
        let hash = APITokenCodec.hash(credential)
        let now = ContinuousClock.now
        let cached = self.cache.withLock { cache in cache[hash] }
        var record = cached.flatMap { now - $0.fetched < self.ttl ? $0.record : nil }
        if record == nil {
            do {
                record = try await self.store.token(hash: hash)
                if let record {
                    self.cache.withLock { cache in
                        if cache.count > 10_000 { cache.removeAll() }
                        cache[hash] = (record, now)
                    }
                }
            } catch {
                // The store cannot be read: a token this process checked before still stands (a
                // revocation made here forgets it at once), so an operator can still see why.
                guard let known = cached?.record else {
                    return .failure(AuthFailure("store_error", "the token could not be checked; try again"))
                }
                record = known
            }
        }
        guard let record else { return .failure(AuthFailure("unknown_token", "the bearer token is not known")) }
        guard record.revokedAt == nil else { return .failure(AuthFailure("revoked_token", "the bearer token was revoked")) }
        return .success(Principal(role: record.role, actor: "token:\(record.name)", workerID: record.role == .worker ? record.workerID : nil))
    }

    /// Forgets a token at once (it was revoked).
    public func forget(tokenID: String) {
        self.cache.withLock { cache in cache = cache.filter { $0.value.record.id != tokenID } }
    }
}

/// Picks the verifier by the credential's shape: an `arb_` token, or a JWT when JWTs are configured.
public struct Authenticator: Sendable {
    public let tokens: TokenVerifier
    public let jwt: (any BearerVerifier)?

    public init(tokens: TokenVerifier, jwt: (any BearerVerifier)? = nil) {
        self.tokens = tokens
        self.jwt = jwt
    }

    public func authenticate(_ credential: String) async -> Result<Principal, AuthFailure> {
        if APITokenCodec.looksLikeToken(credential) { return await self.tokens.verify(credential) }
        let isJWTShaped = credential.split(separator: ".", omittingEmptySubsequences: false).count == 3
        guard isJWTShaped else { return .failure(AuthFailure("malformed", "the bearer credential is neither an API token nor a JWT")) }
        guard let jwt = self.jwt else { return .failure(AuthFailure("jwt_not_configured", "JWT bearer tokens are not accepted by this server")) }
        return await jwt.verify(credential)
    }
}
