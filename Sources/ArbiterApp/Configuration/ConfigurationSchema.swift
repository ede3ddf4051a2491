import ArbiterCore
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
    /// Applies a value, or returns what is wrong with it.
    let apply: @Sendable (inout ArbiterConfiguration, ConfigValue) -> String?
    /// The effective value as YAML text.
    let render: @Sendable (ArbiterConfiguration) -> String

    /// `ARBITER_` and the path in capitals with `_` for `.`: `ARBITER_LOG_LEVEL`.
    var environmentVariable: String {
        "ARBITER_" + self.path.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }
}

/// Every configuration key Arbiter knows. An unknown key anywhere is an error.
enum ConfigurationSchema {
    static let fields: [ConfigField] = [
        ConfigField(
            path: "listen", summary: "HTTP listen address, host:port (port 0 picks a free port)", flag: "--listen", isList: false,
            apply: { config, value in
                scalar(value) { text in
                    guard let address = ListenAddress(parsing: text) else { return "expected host:port with a port from 0 to 65535" }
                    config.listen = address
                    return nil
                }
            },
            render: { "\($0.listen)" }
        ),
        ConfigField(
            path: "data_dir", summary: "directory for Arbiter's files, created if missing", flag: "--data-dir", isList: false,
            apply: { config, value in
                scalar(value) { text in
                    guard !text.isEmpty else { return "expected a directory path" }
                    config.dataDirectory = text
                    return nil
                }
            },
            render: { $0.dataDirectory }
        ),
        ConfigField(
            path: "log.level", summary: "trace, debug, info, notice, warning, error or critical", flag: "--log-level", isList: false,
            apply: { config, value in
                scalar(value) { text in
                    guard let level = Logger.Level(rawValue: text.lowercased()) else {
                        return "expected one of trace, debug, info, notice, warning, error, critical"
                    }
                    config.logLevel = level
                    return nil
                }
            },
            render: { $0.logLevel.rawValue }
        ),
        ConfigField(
            path: "log.format", summary: "logfmt or json, one event per line on stderr", flag: "--log-format", isList: false,
            apply: { config, value in
                scalar(value) { text in
                    guard let format = LogFormat(rawValue: text.lowercased()) else { return "expected logfmt or json" }
                    config.logFormat = format
                    return nil
                }
            },
            render: { $0.logFormat.rawValue }
        ),
        ConfigField(
            path: "shutdown.grace_period",
            summary: "how long SIGTERM/SIGINT may take to drain before in-flight work is cancelled", flag: "--shutdown-grace-period",
            isList: false,
            apply: { config, value in
                duration(value) { duration in
                    guard duration > .zero else { return "must be longer than 0s" }
                    config.shutdownGracePeriod = duration
                    return nil
                }
            },
            render: { PrometheusDuration.format($0.shutdownGracePeriod) }
        ),
        ConfigField(
            path: "shutdown.delay", summary: "how long /readyz answers 503 before the listener closes", flag: nil, isList: false,
            apply: { config, value in
                duration(value) { duration in
                    config.shutdownDelay = duration
                    return nil
                }
            },
            render: { PrometheusDuration.format($0.shutdownDelay) }
        ),
        ConfigField(
            path: "metrics.series_limit", summary: "series per metric family before new label values are dropped", flag: nil, isList: false,
            apply: { config, value in
                scalar(value) { text in
                    guard let limit = Int(text), (1...100_000_000).contains(limit) else {
                        return "expected a whole number from 1 to 100000000"
                    }
                    config.metricsSeriesLimit = limit
                    return nil
                }
            },
            render: { "\($0.metricsSeriesLimit)" }
        ),
        ConfigField(
            path: "metrics.histogram_buckets", summary: "default histogram bucket bounds, strictly increasing", flag: nil, isList: true,
            apply: { config, value in
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
            render: { "[" + $0.metricsHistogramBuckets.map { "\($0)" }.joined(separator: ", ") + "]" }
        ),
    ]

    /// The field at a dotted path.
    static func field(_ path: String) -> ConfigField? {
        self.fields.first { $0.path == path }
    }

    /// Whether a dotted path is a section holding other keys (`log`, `shutdown`, `metrics`).
    static func isSection(_ path: String) -> Bool {
        self.fields.contains { $0.path.hasPrefix(path + ".") }
    }

    /// Keys valid directly under a section ("" for the top level), for "did you mean" hints.
    static func keys(under section: String) -> [String] {
        let prefix = section.isEmpty ? "" : section + "."
        var keys: [String] = []
        for field in self.fields where field.path.hasPrefix(prefix) {
            let rest = field.path.dropFirst(prefix.count)
            let key = String(rest.prefix { $0 != "." })
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    private static func scalar(_ value: ConfigValue, _ body: (String) -> String?) -> String? {
        guard case .scalar(let text) = value else { return "expected a single value, not a list" }
        return body(text)
    }

    private static func duration(_ value: ConfigValue, _ body: (Duration) -> String?) -> String? {
        scalar(value) { text in
            guard let duration = PrometheusDuration.parse(text) else {
                return "expected a duration such as 30s, 1m30s or 500ms"
            }
            return body(duration)
        }
    }
}

