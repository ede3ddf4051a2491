import ArbiterCore
import ArbiterJobs
import Foundation
import ArbiterMetrics
import Logging

/// A value as read from YAML, an environment variable or a flag, before it is checked.
enum ConfigValue {
    case scalar(String)
    case list([String])
}

/// One configuration key: where it can be set, how it is checked, how it is printed.
struct ConfigField: Sendable {
    /// Dotted YAML path, such as `log.level`.
    let path: String
    /// One line for `arbiter config check` and the README.
    let summary: String
    /// The flag that sets it, if one does.
    let flag: String?
    /// Whether the YAML value is a list.
    let isList: Bool
    /// Applies a value, or returns what is wrong with it. The string is the name standing for `*` in
    /// the path (a job type's name), empty for paths without one.
    let apply: @Sendable (inout ArbiterConfiguration, ConfigValue, String) -> String?
    /// The effective value as YAML text (for the name standing for `*`), or `nil` when it is unset.
    let render: @Sendable (ArbiterConfiguration, String) -> String?

    /// `ARBITER_` and the path in capitals with `_` for `.`: `ARBITER_LOG_LEVEL`; `nil` for paths
    /// with a `*` (per-job-type keys are set in the file only).
    var environmentVariable: String? {
        guard !self.path.contains("*") else { return nil }
        return "ARBITER_" + self.path.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }
}

/// Every configuration key Arbiter knows. An unknown key anywhere is an error.
enum ConfigurationSchema {
    /// Grouped by top-level section (in order of first appearance), so `config check` prints each
    /// section once, as valid YAML.
    static let fields: [ConfigField] = {
        let all = coreFields + httpFields + accessFields + tsdbFields + rulesFields + clusterFields + retentionFields
        var sections: [Substring] = []
        for field in all {
            let section = field.path.split(separator: ".")[0]
            if !sections.contains(section) { sections.append(section) }
        }
        return sections.flatMap { section in all.filter { $0.path.split(separator: ".")[0] == section } }
    }()

    private static let coreFields: [ConfigField] = [
        ConfigField(
            path: "listen", summary: "HTTP listen address, host:port (port 0 picks a free port)", flag: "--listen", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let address = ListenAddress(parsing: text) else { return "expected host:port with a port from 0 to 65535" }
                    config.listen = address
                    return nil
                }
            },
            render: { config, _ in "\(config.listen)" }
        ),
        ConfigField(
            path: "data_dir", summary: "directory for Arbiter's files, created if missing", flag: "--data-dir", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard !text.isEmpty else { return "expected a directory path" }
                    config.dataDirectory = text
                    return nil
                }
            },
            render: { config, _ in config.dataDirectory }
        ),
        ConfigField(
            path: "store", summary: "sqlite (in data_dir, the default) or a PostgreSQL database: postgres://user@host:port/db?sslmode=… or libpq conninfo",
            flag: "--store", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let location = StoreLocation(parsing: text) else {
                        return "expected sqlite, a postgres:// URL or a libpq conninfo string (host=… dbname=…)"
                    }
                    config.store = location
                    return nil
                }
            },
            // Never the password: config check prints this.
            render: { config, _ in "\(config.store)" }
        ),
        ConfigField(
            path: "store_pool_size", summary: "connections the PostgreSQL store opens at most (reads and group commits share them)", flag: nil,
            isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let size = Int(text), (1...1000).contains(size) else { return "expected a whole number from 1 to 1000" }
                    config.storePoolSize = size
                    return nil
                }
            },
            render: { config, _ in "\(config.storePoolSize)" }
        ),
        ConfigField(
            path: "log.level", summary: "trace, debug, info, notice, warning, error or critical", flag: "--log-level", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let level = Logger.Level(rawValue: text.lowercased()) else {
                        return "expected one of trace, debug, info, notice, warning, error, critical"
                    }
                    config.logLevel = level
                    return nil
                }
            },
            render: { config, _ in config.logLevel.rawValue }
        ),
        ConfigField(
            path: "log.format", summary: "logfmt or json, one event per line on stderr", flag: "--log-format", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let format = LogFormat(rawValue: text.lowercased()) else { return "expected logfmt or json" }
                    config.logFormat = format
                    return nil
                }
            },
            render: { config, _ in config.logFormat.rawValue }
        ),
        duration("shutdown.grace_period", "how long SIGTERM/SIGINT may take to drain before in-flight work is cancelled", flag: "--shutdown-grace-period", \.shutdownGracePeriod),
        ConfigField(
            path: "shutdown.delay", summary: "how long /readyz answers 503 before the listener closes", flag: nil, isList: false,
            apply: { config, value, _ in
                duration(value) { duration in
                    config.shutdownDelay = duration
                    return nil
                }
            },
            render: { config, _ in PrometheusDuration.format(config.shutdownDelay) }
        ),
        ConfigField(
            path: "metrics.series_limit", summary: "series per metric family before new label values are dropped", flag: nil, isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard let limit = Int(text), (1...100_000_000).contains(limit) else {
                        return "expected a whole number from 1 to 100000000"
                    }
                    config.metricsSeriesLimit = limit
                    return nil
                }
            },
            render: { config, _ in "\(config.metricsSeriesLimit)" }
        ),
        ConfigField(
            path: "metrics.histogram_buckets", summary: "default histogram bucket bounds, strictly increasing", flag: nil, isList: true,
            apply: { config, value, _ in
                let items: [String]
                switch value {
                case .list(let list): items = list
                case .scalar(let text): items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
                var bounds: [Double] = []
                for item in items {
                    guard let bound = Double(item) else { return "expected a list of numbers, \"\(item)\" is not one" }
                    bounds.append(bound)
                }
                do throws(MetricsError) {
                    _ = try HistogramBuckets(bounds)
                } catch {
                    return error.message
                }
                config.metricsHistogramBuckets = bounds
                return nil
            },
            render: { config, _ in "[" + config.metricsHistogramBuckets.map { "\($0)" }.joined(separator: ", ") + "]" }
        ),
        duration("workers.timeout", "silence after which a worker is offline and its leases expire", \.workerTimeout),
        duration("workers.lease_timeout", "how long a lease lasts without a progress report before the job is requeued", \.leaseTimeout),
        ConfigField(
            path: "limits.max_payload_bytes", summary: "largest job payload, bytes of compact JSON (413 beyond)", flag: nil, isList: false,
            apply: { config, value, _ in
                positive(value, upTo: 1 << 30) { config.maxPayloadBytes = $0 }
            },
            render: { config, _ in "\(config.maxPayloadBytes)" }
        ),
        ConfigField(
            path: "limits.max_body_bytes", summary: "largest request body, bytes (413 beyond)", flag: nil, isList: false,
            apply: { config, value, _ in
                positive(value, upTo: 1 << 30) { config.maxBodyBytes = $0 }
            },
            render: { config, _ in "\(config.maxBodyBytes)" }
        ),
        ConfigField(
            path: "limits.max_batch_jobs", summary: "most jobs in one batch submission (413 beyond)", flag: nil, isList: false,
            apply: { config, value, _ in
                positive(value, upTo: 100_000) { config.maxBatchJobs = $0 }
            },
            render: { config, _ in "\(config.maxBatchJobs)" }
        ),
        ConfigField(
            path: "job_types.*.max_attempts", summary: "attempts allowed per job of the type (default 3)", flag: nil, isList: false,
            apply: { config, value, name in
                scalar(value) { text in
                    guard let attempts = Int(text), (1...1000).contains(attempts) else { return "expected a whole number from 1 to 1000" }
                    config.jobTypes[name, default: JobTypePolicy()].retry.maxAttempts = attempts
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name].map { "\($0.retry.maxAttempts)" } }
        ),
        ConfigField(
            path: "job_types.*.backoff.initial", summary: "backoff cap after the first failure (default 1s)", flag: nil, isList: false,
            apply: { config, value, name in
                duration(value) { duration in
                    config.jobTypes[name, default: JobTypePolicy()].retry.initialBackoff = duration
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name].map { PrometheusDuration.format($0.retry.initialBackoff) } }
        ),
        ConfigField(
            path: "job_types.*.backoff.max", summary: "largest backoff cap (default 5m); retries wait a random time up to the cap",
            flag: nil, isList: false,
            apply: { config, value, name in
                duration(value) { duration in
                    config.jobTypes[name, default: JobTypePolicy()].retry.maxBackoff = duration
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name].map { PrometheusDuration.format($0.retry.maxBackoff) } }
        ),
        ConfigField(
            path: "job_types.*.timeout", summary: "how long one attempt may run (default 5m)", flag: nil, isList: false,
            apply: { config, value, name in
                positiveDuration(value) { config.jobTypes[name, default: JobTypePolicy()].retry.timeout = $0 }
            },
            render: { config, name in config.jobTypes[name].map { PrometheusDuration.format($0.retry.timeout) } }
        ),
        ConfigField(
            path: "job_types.*.concurrency", summary: "most jobs of the type running at once across all workers (default: no limit)",
            flag: nil, isList: false,
            apply: { config, value, name in
                scalar(value) { text in
                    guard let limit = Int(text), limit >= 1 else { return "expected a whole number of at least 1" }
                    config.jobTypes[name, default: JobTypePolicy()].concurrency = limit
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name]?.concurrency.map { "\($0)" } }
        ),
        ConfigField(
            path: "job_types.*.rate", summary: "most jobs of the type started per second, minute or hour: 10/s, 600/m (default: none)",
            flag: nil, isList: false,
            apply: { config, value, name in
                scalar(value) { text in
                    guard let rate = RateLimit(parsing: text) else { return "expected a rate such as 10/s, 600/m or 100/h, from 0.001 to 1000000 per unit" }
                    config.jobTypes[name, default: JobTypePolicy()].rateLimit = rate
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name]?.rateLimit.map { "\($0)" } }
        ),
        ConfigField(
            path: "job_types.*.requires_consent", summary: "consent scope a job of the type needs from its user (default: none)",
            flag: nil, isList: false,
            apply: { config, value, name in
                scalar(value) { text in
                    guard !text.isEmpty else { return "expected a consent scope" }
                    config.jobTypes[name, default: JobTypePolicy()].requiresConsent = text
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name]?.requiresConsent }
        ),
        ConfigField(
            path: "job_types.*.dry_run", summary: "every job of the type is a dry run: its workers are told not to act for real (default false)",
            flag: nil, isList: false,
            apply: { config, value, name in
                scalar(value) { text in
                    guard let flag = Bool(text) else { return "expected true or false" }
                    config.jobTypes[name, default: JobTypePolicy()].dryRun = flag
                    return nil
                }
            },
            render: { config, name in config.jobTypes[name].flatMap { $0.dryRun ? "true" : nil } }
        ),
    ]

    /// The field at a dotted path, with the name standing for `*` in its pattern.
    static func field(_ path: String) -> (ConfigField, String)? {
        for field in self.fields {
            if let capture = self.match(pattern: field.path, path: path, prefixOnly: false) { return (field, capture) }
        }
        return nil
    }

    /// Whether a dotted path is a section holding other keys (`log`, `job_types`, `job_types.email`).
    static func isSection(_ path: String) -> Bool {
        self.fields.contains { self.match(pattern: $0.path, path: path, prefixOnly: true) != nil }
    }

    /// Keys valid directly under a section ("" for the top level), for "did you mean" hints; `*` stands
    /// for a name the user chooses.
    static func keys(under section: String) -> [String] {
        let depth = section.isEmpty ? 0 : section.split(separator: ".").count
        var keys: [String] = []
        for field in self.fields where section.isEmpty || self.match(pattern: field.path, path: section, prefixOnly: true) != nil {
            let segments = field.path.split(separator: ".")
            guard segments.count > depth else { continue }
            let key = String(segments[depth])
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// Matches a dotted path against a pattern whose `*` segments match any one name. With
    /// `prefixOnly`, the path must be a proper prefix of the pattern.
    /// - Returns: The name matched by `*` ("" when none), or `nil` when it does not match.
    private static func match(pattern: String, path: String, prefixOnly: Bool) -> String? {
        let patternSegments = pattern.split(separator: ".")
        let pathSegments = path.split(separator: ".")
        guard prefixOnly ? pathSegments.count < patternSegments.count : pathSegments.count == patternSegments.count else { return nil }
        var capture = ""
        for (expected, actual) in zip(patternSegments, pathSegments) {
            if expected == "*" {
                capture = String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return capture
    }

    /// Called when the reader enters a section; declares a job type even when its section is empty.
    /// - Returns: What is wrong with the section's name, if anything.
    static func enterSection(_ path: String, in configuration: inout ArbiterConfiguration) -> String? {
        let segments = path.split(separator: ".")
        guard segments.count == 2, segments[0] == "job_types" else { return nil }
        let name = String(segments[1])
        guard JobTypeName.isValid(name) else { return "job type names hold \(JobTypeName.rule)" }
        if configuration.jobTypes[name] == nil { configuration.jobTypes[name] = JobTypePolicy() }
        return nil
    }

    /// Checks that need more than one key: a job type's backoff must not start above its maximum.
    static func validate(_ configuration: ArbiterConfiguration) -> (key: String, problem: String)? {
        if (configuration.tlsCertificateFile == nil) != (configuration.tlsKeyFile == nil) {
            return ("tls", "cert_file and key_file go together: set both or neither")
        }
        if configuration.jwtHS256Secret != nil, configuration.jwtHS256SecretFile != nil {
            return ("auth.jwt", "set hs256_secret or hs256_secret_file, not both")
        }
        for (name, policy) in configuration.jobTypes.sorted(by: { $0.key < $1.key }) where policy.retry.initialBackoff > policy.retry.maxBackoff {
            return ("job_types.\(name).backoff", "initial (\(PrometheusDuration.format(policy.retry.initialBackoff))) is longer than max (\(PrometheusDuration.format(policy.retry.maxBackoff)))")
        }
        return nil
    }

    static func scalar(_ value: ConfigValue, _ body: (String) -> String?) -> String? {
        guard case .scalar(let text) = value else { return "expected a single value, not a list" }
        return body(text)
    }

    static func positive(_ value: ConfigValue, upTo maximum: Int, _ set: (Int) -> Void) -> String? {
        scalar(value) { text in
            guard let number = Int(text), (1...maximum).contains(number) else { return "expected a whole number from 1 to \(maximum)" }
            set(number)
            return nil
        }
    }

    /// A key holding a whole number from 1 to `maximum`.
    static func count(
        _ path: String, _ summary: String, upTo maximum: Int, _ keyPath: any WritableKeyPath<ArbiterConfiguration, Int> & Sendable
    ) -> ConfigField {
        ConfigField(
            path: path, summary: summary, flag: nil, isList: false,
            apply: { config, value, _ in positive(value, upTo: maximum) { config[keyPath: keyPath] = $0 } },
            render: { config, _ in "\(config[keyPath: keyPath])" }
        )
    }

    /// A key holding a positive Prometheus duration.
    static func duration(
        _ path: String, _ summary: String, flag: String? = nil, _ keyPath: any WritableKeyPath<ArbiterConfiguration, Duration> & Sendable
    ) -> ConfigField {
        ConfigField(
            path: path, summary: summary, flag: flag, isList: false,
            apply: { config, value, _ in positiveDuration(value) { config[keyPath: keyPath] = $0 } },
            render: { config, _ in PrometheusDuration.format(config[keyPath: keyPath]) }
        )
    }

    static func positiveDuration(_ value: ConfigValue, _ set: (Duration) -> Void) -> String? {
        duration(value) { duration in
            guard duration > .zero else { return "must be longer than 0s" }
            set(duration)
            return nil
        }
    }

    static func duration(_ value: ConfigValue, _ body: (Duration) -> String?) -> String? {
        scalar(value) { text in
            guard let duration = PrometheusDuration.parse(text) else {
                return "expected a duration such as 30s, 1m30s or 500ms"
            }
            return body(duration)
        }
    }
}

