import ArbiterCore

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
