import Foundation
import Yams

/// The configuration in force and where each value came from.
public struct LoadedConfiguration: Sendable {
    /// The effective configuration.
    public var configuration: ArbiterConfiguration
    /// For each key set by something other than the default: `file.yaml:3`, `env ARBITER_X` or `flag --x`.
    public var sources: [String: String]
    /// Things worth a warning that are not errors (an unknown `ARBITER_*` variable, say).
    public var warnings: [String]
    /// The file read, if any.
    public var file: String?
}

/// Reads the configuration: defaults, then the YAML file, then `ARBITER_*` environment variables,
/// then flags, each overriding the one before.
public enum ConfigurationLoader {
    /// Environment variables that belong to Arbiter's client commands or its packaging, not to `serve`.
    static let nonServerVariables: Set<String> = ["ARBITER_CONFIG", "ARBITER_TOKEN", "ARBITER_URL", "ARBITER_BUILD_REVISION", "ARBITER_BINARY"]

    /// Loads and checks the configuration.
    /// - Parameters:
    ///   - file: YAML file to read, if any.
    ///   - environment: The process environment (only `ARBITER_*` variables are read).
    ///   - flags: Values given on the command line, by flag name (`--listen`).
    /// - Returns: The effective configuration with the source of each value.
    /// - Throws: ``ConfigurationError`` naming the file and line, variable or flag at fault.
    public static func load(file: String?, environment: [String: String], flags: [String: String]) throws(ConfigurationError) -> LoadedConfiguration {
        var loaded = LoadedConfiguration(configuration: ArbiterConfiguration(), sources: [:], warnings: [], file: file)
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError(location: file, key: nil, problem: "cannot read the configuration file: \(Self.reason(error))")
            }
            loaded = try self.load(text: text, file: file)
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("ARBITER_") {
            guard let field = ConfigurationSchema.fields.first(where: { $0.environmentVariable == name }) else {
                if !self.nonServerVariables.contains(name) && !name.hasPrefix("ARBITER_TEST_") {
                    loaded.warnings.append("environment variable \(name) is not a configuration key and is ignored")
                }
                continue
            }
            let location = "environment variable \(name)"
            if let problem = field.apply(&loaded.configuration, field.isList ? .list(Self.splitList(value)) : .scalar(value), "") {
                throw ConfigurationError(location: location, key: nil, problem: "\(problem) (got \"\(value)\")")
            }
            loaded.sources[field.path] = "env \(name)"
        }
        for (flag, value) in flags.sorted(by: { $0.key < $1.key }) {
            guard let field = ConfigurationSchema.fields.first(where: { $0.flag == flag }) else {
                throw ConfigurationError(location: "flag \(flag)", key: nil, problem: "not a configuration flag")
            }
            if let problem = field.apply(&loaded.configuration, .scalar(value), "") {
                throw ConfigurationError(location: "flag \(flag)", key: nil, problem: "\(problem) (got \"\(value)\")")
            }
            loaded.sources[field.path] = "flag \(flag)"
        }
        // Checked once every layer is in: the store often comes from the environment or a flag.
        if loaded.configuration.clusterRedis != nil, loaded.configuration.store == .sqlite {
            throw ConfigurationError(
                location: loaded.sources["cluster.redis"] ?? file ?? "the configuration", key: "cluster.redis",
                problem: "cluster mode needs the PostgreSQL store (store: postgres://…): replicas share it; the embedded store has one process")
        }
        return loaded
    }

    /// Reads configuration text as the file `file` holds it, without environment or flags.
    /// - Throws: ``ConfigurationError`` naming the file and line at fault.
    package static func load(text: String, file: String) throws(ConfigurationError) -> LoadedConfiguration {
        var loaded = LoadedConfiguration(configuration: ArbiterConfiguration(), sources: [:], warnings: [], file: file)
        try YAMLConfigurationReader(file: file, text: text).read(into: &loaded)
        return loaded
    }

    static func splitList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            case NSFileReadInapplicableStringEncodingError: return "not UTF-8 text"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
