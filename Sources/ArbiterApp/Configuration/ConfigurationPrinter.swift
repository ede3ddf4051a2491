import ArbiterCore
import ArbiterRemoteWrite
/// Prints the effective configuration as YAML, each value annotated with where it came from.
public enum ConfigurationPrinter {
    /// - Parameter loaded: The loaded configuration.
    /// - Returns: YAML text that `arbiter serve --config` would accept as is.
    public static func render(_ loaded: LoadedConfiguration) -> String {
        var lines = ["# configuration is valid; file: \(loaded.file ?? "none (defaults)")"]
        for warning in loaded.warnings { lines.append("# warning: \(warning)") }
        var open: [String] = []
        for (segments, value) in self.entries(loaded.configuration) {
            let section = Array(segments.dropLast())
            var common = 0
            while common < min(open.count, section.count), open[common] == section[common] { common += 1 }
            for depth in common..<section.count {
                lines.append(String(repeating: "  ", count: depth) + "\(section[depth]):")
            }
            open = section
            let path = segments.joined(separator: ".")
            let entry = String(repeating: "  ", count: section.count) + "\(segments.last!): \(value)"
            lines.append(entry.padding(to: 44) + "# \(loaded.sources[path] ?? "default")")
        }
        if loaded.configuration.jobTypes.isEmpty {
            lines.append("job_types: {}".padding(to: 44) + "# default")
        }
        lines += self.remoteWrite(loaded)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The remote-write endpoints; credentials, headers and TLS files are not printed.
    private static func remoteWrite(_ loaded: LoadedConfiguration) -> [String] {
        let endpoints = loaded.configuration.remoteWrite
        guard !endpoints.isEmpty else { return ["remote_write: []".padding(to: 44) + "# default"] }
        var lines = ["remote_write:".padding(to: 44) + "# \(loaded.sources["remote_write"] ?? "default") (headers, credentials and TLS not shown)"]
        for endpoint in endpoints {
            let queue = endpoint.queue
            lines += [
                "  - name: \(endpoint.name)", "    url: \(endpoint.url)", "    remote_timeout: \(PrometheusDuration.format(endpoint.remoteTimeout))",
                "    queue_config:", "      min_shards: \(queue.minShards)", "      max_shards: \(queue.maxShards)",
                "      max_samples_per_send: \(queue.maxSamplesPerSend)", "      min_backoff: \(PrometheusDuration.format(queue.minBackoff))",
                "      max_backoff: \(PrometheusDuration.format(queue.maxBackoff))", "      retry_on_http_429: \(queue.retryOnHTTP429)",
                "    disk:", "      max_bytes: \(endpoint.diskMaxBytes)",
            ]
            if let path = endpoint.diskPath { lines.append("      path: \(path)") }
        }
        return lines
    }

    /// Every set value as (path segments, YAML text), in schema order, job types by name.
    private static func entries(_ configuration: ArbiterConfiguration) -> [([String], String)] {
        var entries: [([String], String)] = []
        for field in ConfigurationSchema.fields where !field.path.contains("*") {
            if let value = field.render(configuration, "") { entries.append((field.path.split(separator: ".").map(String.init), value)) }
        }
        for name in configuration.jobTypes.keys.sorted() {
            for field in ConfigurationSchema.fields where field.path.contains("*") {
                guard let value = field.render(configuration, name) else { continue }
                entries.append((field.path.split(separator: ".").map { $0 == "*" ? name : String($0) }, value))
            }
        }
        return entries
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        self.count >= width ? self + " " : self + String(repeating: " ", count: width - self.count)
    }
}
