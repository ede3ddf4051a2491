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
        ConfigField(
            path: "auth.lockout.window", summary: "how far back failed authentications count", flag: nil, isList: false,
            apply: { config, value, _ in
                positiveDuration(value) { config.lockoutWindow = $0 }
            },
            render: { config, _ in PrometheusDuration.format(config.lockoutWindow) }
        ),
        ConfigField(
            path: "auth.lockout.duration", summary: "how long a locked-out address is answered 429", flag: nil, isList: false,
            apply: { config, value, _ in
                positiveDuration(value) { config.lockoutDuration = $0 }
            },
            render: { config, _ in PrometheusDuration.format(config.lockoutDuration) }
        ),
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
        ConfigField(
            path: "vault.key_file", summary: "file holding the vault key as base64 (default: <data_dir>/vault.key, created on first start)",
            flag: nil, isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    config.vaultKeyFile = text
                    return nil
                }
            },
            render: { config, _ in config.vaultKeyFile }
        ),
        ConfigField(
            path: "vault.previous_key_files", summary: "files of earlier vault keys that still open what they sealed (key rotation)",
            flag: nil, isList: true,
            apply: { config, value, _ in
                guard case .list(let files) = value else { return "expected a list of files" }
                config.vaultPreviousKeyFiles = files
                return nil
            },
            render: { config, _ in config.vaultPreviousKeyFiles.isEmpty ? nil : "[" + config.vaultPreviousKeyFiles.joined(separator: ", ") + "]" }
        ),
    ]

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
