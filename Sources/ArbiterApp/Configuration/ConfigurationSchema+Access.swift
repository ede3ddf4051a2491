import ArbiterCore
import Foundation

/// Configuration keys for authentication and access.
extension ConfigurationSchema {
    static let accessFields: [ConfigField] = [
        ConfigField(
            path: "metrics.public", summary: "serve /metrics without a token (default false: a viewer token is needed)", flag: nil, isList: false,
            apply: { config, value, _ in
                boolean(value) { config.metricsPublic = $0 }
            },
            render: { config, _ in "\(config.metricsPublic)" }
        ),
        ConfigField(
            path: "auth.lockout.failures", summary: "failed authentications from one address within the window before it is locked out",
            flag: nil, isList: false,
            apply: { config, value, _ in
                positive(value, upTo: 1_000_000) { config.lockoutFailures = $0 }
            },
            render: { config, _ in "\(config.lockoutFailures)" }
        ),
        duration("auth.lockout.window", "how far back failed authentications count", \.lockoutWindow),
        duration("auth.lockout.duration", "how long a locked-out address is answered 429", \.lockoutDuration),
        optionalText(
            "auth.admin_token_file",
            "on first start, with no token in the store, the admin token is this file's (arb_ and 43 base64url characters) instead of one generated into <data_dir>/admin.token",
            what: "a file path", \.adminTokenFile),
        ConfigField(
            path: "vault.key", summary: "credential vault key, base64 of 32 bytes; set it as ARBITER_VAULT_KEY, never printed", flag: nil,
            isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let data = Data(base64Encoded: text), data.count == 32 else { return "expected 32 bytes as base64 (openssl rand -base64 32)" }
                    config.vaultKey = text
                    return nil
                }
            },
            render: { config, _ in config.vaultKey.map { _ in "<redacted>" } }
        ),
        optionalText(
            "vault.key_file", "file holding the vault key as base64 (default: <data_dir>/vault.key, created on first start)",
            what: "a file path", \.vaultKeyFile),
        stringList(
            "vault.previous_key_files", "files of earlier vault keys that still open what they sealed (key rotation)", what: "a list of files",
            \.vaultPreviousKeyFiles),
        ConfigField(
            path: "auth.jwt.hs256_secret", summary: "accept HS256 JWTs signed with this secret; set it as ARBITER_AUTH_JWT_HS256_SECRET, never printed",
            flag: nil, isList: false,
            apply: { config, value, _ in
                text(value, minBytes: 32, "a secret of at least 32 bytes") { config.jwtHS256Secret = $0 }
            },
            render: { config, _ in config.jwtHS256Secret.map { _ in "<redacted>" } }
        ),
        optionalText("auth.jwt.hs256_secret_file", "file holding the HS256 secret", what: "a file path", \.jwtHS256SecretFile),
        stringList("auth.jwt.public_key_files", "PEM public keys for ES256 (EC P-256) and RS256 (RSA) JWTs", what: "a list of files", \.jwtPublicKeyFiles),
        optionalText("auth.jwt.issuer", "a JWT's iss must equal this (default: not checked)", what: "an issuer", \.jwtIssuer),
        optionalText("auth.jwt.audience", "a JWT's aud must include this (default: not checked)", what: "an audience", \.jwtAudience),
        ConfigField(
            path: "auth.jwt.role_claim", summary: "the JWT claim naming the role: admin, operator, submitter, worker or viewer (default role)",
            flag: nil, isList: false,
            apply: { config, value, _ in
                text(value, minBytes: 1, "a claim name") { config.jwtRoleClaim = $0 }
            },
            render: { config, _ in config.jwtRoleClaim }
        ),
        optionalText(
            "tls.cert_file", "serve HTTPS with this PEM certificate chain (with tls.key_file)", what: "a file path", \.tlsCertificateFile),
        optionalText("tls.key_file", "the PEM private key of tls.cert_file", what: "a file path", \.tlsKeyFile),
    ]

    /// A key holding one optional string of at least one byte.
    static func optionalText(
        _ path: String, _ summary: String, what: String, _ keyPath: any WritableKeyPath<ArbiterConfiguration, String?> & Sendable
    ) -> ConfigField {
        ConfigField(
            path: path, summary: summary, flag: nil, isList: false,
            apply: { config, value, _ in
                text(value, minBytes: 1, what) { config[keyPath: keyPath] = $0 }
            },
            render: { config, _ in config[keyPath: keyPath] }
        )
    }

    /// A key holding a list of strings (empty by default).
    static func stringList(
        _ path: String, _ summary: String, what: String, _ keyPath: any WritableKeyPath<ArbiterConfiguration, [String]> & Sendable
    ) -> ConfigField {
        ConfigField(
            path: path, summary: summary, flag: nil, isList: true,
            apply: { config, value, _ in
                guard case .list(let items) = value else { return "expected \(what)" }
                config[keyPath: keyPath] = items
                return nil
            },
            render: { config, _ in config[keyPath: keyPath].isEmpty ? nil : "[" + config[keyPath: keyPath].joined(separator: ", ") + "]" }
        )
    }

    static func text(_ value: ConfigValue, minBytes: Int, _ what: String, _ set: (String) -> Void) -> String? {
        scalar(value) { text in
            guard text.utf8.count >= minBytes else { return "expected \(what)" }
            set(text)
            return nil
        }
    }

    static func boolean(_ value: ConfigValue, _ set: (Bool) -> Void) -> String? {
        scalar(value) { text in
            switch text.lowercased() {
            case "true", "yes", "on", "1": set(true)
            case "false", "no", "off", "0": set(false)
            default: return "expected true or false"
            }
            return nil
        }
    }
}
