import ArbiterCore
import ArbiterJobs
import Crypto
import Foundation
import JWTKit

/// JWT bearer tokens as an alternative to API tokens: HS256 with a shared secret, ES256 and RS256 with
/// public keys. The header's `alg` must be one a configured key uses (so `none` and anything unknown
/// are refused before any key is tried); the signature is checked by jwt-kit; then `exp` (required),
/// `nbf`, `iss` and `aud` are checked here, and the configured claim names the caller's role. A
/// `worker` JWT acts as the worker named by its `sub`.
public struct JWTVerifier: BearerVerifier {
    public struct Configuration: Sendable {
        public var hs256Secret: [UInt8]?
        /// PEM public keys: EC P-256 (ES256) or RSA (RS256).
        public var publicKeysPEM: [String]
        public var issuer: String?
        public var audience: String?
        public var roleClaim: String
        /// Clock skew allowed on `exp` and `nbf`.
        public var leeway: Duration

        public init(
            hs256Secret: [UInt8]? = nil, publicKeysPEM: [String] = [], issuer: String? = nil, audience: String? = nil, roleClaim: String = "role",
            leeway: Duration = .seconds(0)
        ) {
            self.hs256Secret = hs256Secret
            self.publicKeysPEM = publicKeysPEM
            self.issuer = issuer
            self.audience = audience
            self.roleClaim = roleClaim
            self.leeway = leeway
        }
    }

    private struct Claims: JWTPayload {
        func verify(using algorithm: some JWTAlgorithm) throws {}
    }

    let configuration: Configuration
    /// One collection per key, by the algorithm it verifies.
    let keys: [(algorithm: String, collection: JWTKeyCollection)]

    /// - Throws: ``AuthConfigurationError`` naming a key that is neither EC P-256 nor RSA.
    public init(configuration: Configuration) async throws {
        self.configuration = configuration
        var keys: [(String, JWTKeyCollection)] = []
        if let secret = configuration.hs256Secret {
            keys.append(("HS256", await JWTKeyCollection().add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)))
        }
        for (index, pem) in configuration.publicKeysPEM.enumerated() {
            if let key = try? ES256PublicKey(pem: pem) {
                keys.append(("ES256", await JWTKeyCollection().add(ecdsa: key)))
            } else if let key = try? Insecure.RSA.PublicKey(pem: pem) {
                keys.append(("RS256", await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256)))
            } else {
                throw AuthConfigurationError("auth.jwt.public_key_files[\(index)]: not an EC P-256 or RSA public key in PEM form")
            }
        }
        self.keys = keys
    }

    public func verify(_ credential: String) async -> Result<Principal, AuthFailure> {
        let parts = credential.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.json(parts[0]), let payload = Self.json(parts[1]) else {
            return .failure(AuthFailure("malformed", "the JWT is not three base64url JSON parts"))
        }
        guard let algorithm = header["alg"] as? String else { return .failure(AuthFailure("malformed", "the JWT header has no alg")) }
        let candidates = self.keys.filter { $0.algorithm == algorithm }
        guard !candidates.isEmpty else {
            return .failure(AuthFailure("unsupported_algorithm", "JWT algorithm \(algorithm) is not accepted"))
        }
        var verified = false
        for candidate in candidates where !verified {
            verified = (try? await candidate.collection.verify(credential, as: Claims.self)) != nil
        }
        guard verified else { return .failure(AuthFailure("bad_signature", "the JWT signature does not verify")) }
        return self.check(payload)
    }

    /// The registered claims and the role, once the signature holds.
    func check(_ payload: [String: Any]) -> Result<Principal, AuthFailure> {
        let now = Date().timeIntervalSince1970
        let leeway = Double(self.configuration.leeway.components.seconds)
        guard let exp = (payload["exp"] as? NSNumber)?.doubleValue else { return .failure(AuthFailure("malformed", "the JWT has no exp claim")) }
        guard exp + leeway > now else { return .failure(AuthFailure("expired", "the JWT expired")) }
        if let nbf = (payload["nbf"] as? NSNumber)?.doubleValue, nbf - leeway > now {
            return .failure(AuthFailure("not_yet_valid", "the JWT is not valid yet (nbf)"))
        }
        if let issuer = self.configuration.issuer, payload["iss"] as? String != issuer {
            return .failure(AuthFailure("wrong_issuer", "the JWT was not issued by \(issuer)"))
        }
        if let audience = self.configuration.audience {
            let audiences = (payload["aud"] as? [String]) ?? (payload["aud"] as? String).map { [$0] } ?? []
            guard audiences.contains(audience) else { return .failure(AuthFailure("wrong_audience", "the JWT is not meant for \(audience)")) }
        }
        guard let value = payload[self.configuration.roleClaim] as? String, let role = Role(rawValue: value) else {
            return .failure(AuthFailure("missing_role", "the JWT's \(self.configuration.roleClaim) claim does not name a role"))
        }
        let subject = payload["sub"] as? String
        if role == .worker, subject == nil { return .failure(AuthFailure("missing_role", "a worker JWT needs a sub claim naming the worker")) }
        return .success(Principal(role: role, actor: "jwt:\(subject ?? "anonymous")", workerID: role == .worker ? subject : nil))
    }

    private static func json(_ part: Substring) -> [String: Any]? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        // A header or claims set is outside input too: strict JSON, bounded nesting, before Foundation parses it.
        guard (try? StrictJSON.validate(Array(data))) != nil else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}

/// The authentication configuration cannot be used; the message names the key.
public struct AuthConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
