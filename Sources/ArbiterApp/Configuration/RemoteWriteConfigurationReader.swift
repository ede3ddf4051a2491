import ArbiterCore
import ArbiterRemoteWrite
import ArbiterTSDB
import Crypto
import Foundation
import Yams

/// Reads `remote_write:`, a list of endpoints with Prometheus's keys, and refuses what Prometheus
/// refuses (reserved headers, two kinds of authorization at once). Every mistake names the file,
/// line and key (`remote_write[0].queue_config.max_shards`).
struct RemoteWriteConfigurationReader {
    let file: String

    func read(_ node: Node) throws(ConfigurationError) -> [RemoteWriteEndpoint] {
        guard case .sequence(let items) = node else { throw self.error(node, "remote_write", "expected a list of endpoints") }
        var endpoints: [RemoteWriteEndpoint] = []
        for (index, item) in items.enumerated() {
            let endpoint = try self.endpoint(item, key: "remote_write[\(index)]")
            if endpoints.contains(where: { $0.name == endpoint.name }) {
                throw self.error(item, "remote_write[\(index)].name", "\"\(endpoint.name)\" is used by another endpoint; names must be unique")
            }
            // Two queues in one folder would write each other's segments.
            if let path = endpoint.diskPath,
               let other = endpoints.first(where: { $0.diskPath.map(RemoteWriteEndpoint.standardized) == RemoteWriteEndpoint.standardized(path) }) {
                throw self.error(item, "remote_write[\(index)].disk.path", "\"\(path)\" is the buffer of endpoint \"\(other.name)\" already; each endpoint needs its own")
            }
            endpoints.append(endpoint)
        }
        return endpoints
    }

    private func endpoint(_ node: Node, key: String) throws(ConfigurationError) -> RemoteWriteEndpoint {
        let fields = try self.mapping(node, key, allowed: [
            "url", "name", "remote_timeout", "headers", "basic_auth", "bearer_token", "bearer_token_file", "tls_config", "external_labels",
            "write_relabel_configs", "queue_config", "disk",
        ])
        guard let urlNode = fields["url"] else { throw self.error(node, "\(key).url", "is required") }
        let url = try self.string(urlNode, "\(key).url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URLComponents(string: url)?.host?.isEmpty == false else {
            throw self.error(urlNode, "\(key).url", "expected an http:// or https:// URL (got \"\(url)\")")
        }
        let name = try fields["name"].map { node throws(ConfigurationError) in try self.string(node, "\(key).name") }
            ?? String(Hex.encode(Array(SHA256.hash(data: Array(url.utf8)))).prefix(6))
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw self.error(fields["name"] ?? node, "\(key).name", "expected letters, digits, '-', '_' or '.'")
        }
        var endpoint = RemoteWriteEndpoint(url: url, name: name)
        if let timeout = fields["remote_timeout"] { endpoint.remoteTimeout = try self.duration(timeout, "\(key).remote_timeout") }
        if let headers = fields["headers"] {
            endpoint.headers = try self.stringMap(headers, "\(key).headers")
            for header in endpoint.headers.keys {
                if RemoteWriteEndpoint.reservedHeaders.contains(header.lowercased()) {
                    throw self.error(headers, "\(key).headers.\(header)", "is a reserved header and cannot be set")
                }
                if header.lowercased() == "authorization" {
                    throw self.error(headers, "\(key).headers.\(header)", "set it with basic_auth, bearer_token or bearer_token_file")
                }
            }
        }
        if let basic = fields["basic_auth"] {
            let auth = try self.mapping(basic, "\(key).basic_auth", allowed: ["username", "password", "password_file"])
            guard let user = auth["username"] else { throw self.error(basic, "\(key).basic_auth.username", "is required") }
            let password = try auth["password"].map { node throws(ConfigurationError) in try self.string(node, "\(key).basic_auth.password") }
            let file = try auth["password_file"].map { node throws(ConfigurationError) in try self.string(node, "\(key).basic_auth.password_file") }
            if password != nil, file != nil { throw self.error(basic, "\(key).basic_auth", "set password or password_file, not both") }
            endpoint.basicAuth = .init(username: try self.string(user, "\(key).basic_auth.username"), password: password, passwordFile: file)
        }
        if let token = fields["bearer_token"] { endpoint.bearerToken = try self.string(token, "\(key).bearer_token") }
        if let file = fields["bearer_token_file"] { endpoint.bearerTokenFile = try self.string(file, "\(key).bearer_token_file") }
        if [endpoint.basicAuth != nil, endpoint.bearerToken != nil, endpoint.bearerTokenFile != nil].filter({ $0 }).count > 1 {
            throw self.error(node, key, "set at most one of basic_auth, bearer_token and bearer_token_file")
        }
        if let tls = fields["tls_config"] { endpoint.tls = try self.tls(tls, "\(key).tls_config") }
        if let labels = fields["external_labels"] {
            endpoint.externalLabels = try self.stringMap(labels, "\(key).external_labels")
            if let bad = endpoint.externalLabels.keys.first(where: { !PrometheusName.isLabelName($0) }) {
                throw self.error(labels, "\(key).external_labels.\(bad)", "is not a valid label name")
            }
        }
        if let relabel = fields["write_relabel_configs"] { endpoint.relabel = try self.relabel(relabel, "\(key).write_relabel_configs") }
        if let queue = fields["queue_config"] { endpoint.queue = try self.queue(queue, "\(key).queue_config") }
        if let disk = fields["disk"] {
            let options = try self.mapping(disk, "\(key).disk", allowed: ["path", "max_bytes"])
            if let path = options["path"] { endpoint.diskPath = try self.string(path, "\(key).disk.path") }
            if let size = options["max_bytes"] { endpoint.diskMaxBytes = try self.bytes(size, "\(key).disk.max_bytes") }
        }
        return endpoint
    }

    private func tls(_ node: Node, _ key: String) throws(ConfigurationError) -> RemoteWriteEndpoint.TLS {
        let fields = try self.mapping(node, key, allowed: ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"])
        var tls = RemoteWriteEndpoint.TLS()
        tls.caFile = try fields["ca_file"].map { node throws(ConfigurationError) in try self.string(node, "\(key).ca_file") }
        tls.certFile = try fields["cert_file"].map { node throws(ConfigurationError) in try self.string(node, "\(key).cert_file") }
        tls.keyFile = try fields["key_file"].map { node throws(ConfigurationError) in try self.string(node, "\(key).key_file") }
        if let name = fields["server_name"] {
            // The HTTP client checks the certificate against the URL's host and sends that as SNI.
            throw self.error(name, "\(key).server_name", "is not supported: the certificate is checked against the host in url, so put that name there")
        }
        if (tls.certFile == nil) != (tls.keyFile == nil) { throw self.error(node, key, "cert_file and key_file go together") }
        if let skip = fields["insecure_skip_verify"] { tls.insecureSkipVerify = try self.bool(skip, "\(key).insecure_skip_verify") }
        return tls
    }

    private func relabel(_ node: Node, _ key: String) throws(ConfigurationError) -> [RelabelRule] {
        guard case .sequence(let items) = node else { throw self.error(node, key, "expected a list of relabel steps") }
        var rules: [RelabelRule] = []
        for (index, item) in items.enumerated() {
            let step = "\(key)[\(index)]"
            let fields = try self.mapping(item, step, allowed: ["action", "source_labels", "separator", "regex"])
            let action = try fields["action"].map { node throws(ConfigurationError) in try self.string(node, "\(step).action") } ?? "replace"
            let source = try fields["regex"].map { node throws(ConfigurationError) in try self.string(node, "\(step).regex") } ?? "(.*)"
            let regex: AnchoredRegex
            do {
                regex = try AnchoredRegex(source)
            } catch {
                throw self.error(fields["regex"] ?? item, "\(step).regex", "\(error)")
            }
            var labels: [String] = []
            if let list = fields["source_labels"] {
                guard case .sequence(let names) = list else { throw self.error(list, "\(step).source_labels", "expected a list of label names") }
                for name in names { labels.append(try self.string(name, "\(step).source_labels")) }
            }
            let separator = try fields["separator"].map { node throws(ConfigurationError) in try self.string(node, "\(step).separator", allowEmpty: true) } ?? ";"
            switch action {
            case "keep", "drop":
                guard !labels.isEmpty else { throw self.error(item, "\(step).source_labels", "\(action) needs source_labels") }
                rules.append(action == "keep"
                    ? .keep(sourceLabels: labels, separator: separator, regex: regex) : .drop(sourceLabels: labels, separator: separator, regex: regex))
            case "labeldrop":
                rules.append(.labelDrop(regex: regex))
            default:
                throw self.error(fields["action"] ?? item, "\(step).action", "expected keep, drop or labeldrop (got \"\(action)\"); other actions are not supported")
            }
        }
        return rules
    }

    private func queue(_ node: Node, _ key: String) throws(ConfigurationError) -> RemoteWriteEndpoint.QueueConfig {
        let fields = try self.mapping(node, key, allowed: [
            "capacity", "min_shards", "max_shards", "max_samples_per_send", "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429",
        ])
        var queue = RemoteWriteEndpoint.QueueConfig()
        func count(_ name: String, _ upTo: Int) throws(ConfigurationError) -> Int? {
            guard let node = fields[name] else { return nil }
            guard let value = Int(try self.string(node, "\(key).\(name)")), (1...upTo).contains(value) else {
                throw self.error(node, "\(key).\(name)", "expected a whole number from 1 to \(upTo)")
            }
            return value
        }
        queue.capacity = try count("capacity", 10_000_000) ?? queue.capacity
        queue.minShards = try count("min_shards", 1_000) ?? queue.minShards
        queue.maxShards = try count("max_shards", 1_000) ?? queue.maxShards
        queue.maxSamplesPerSend = try count("max_samples_per_send", 1_000_000) ?? queue.maxSamplesPerSend
        if queue.minShards > queue.maxShards { throw self.error(node, "\(key).min_shards", "is larger than max_shards (\(queue.maxShards))") }
        if let deadline = fields["batch_send_deadline"] { queue.batchSendDeadline = try self.duration(deadline, "\(key).batch_send_deadline") }
        if let backoff = fields["min_backoff"] { queue.minBackoff = try self.duration(backoff, "\(key).min_backoff") }
        if let backoff = fields["max_backoff"] { queue.maxBackoff = try self.duration(backoff, "\(key).max_backoff") }
        if queue.minBackoff > queue.maxBackoff { throw self.error(node, "\(key).min_backoff", "is longer than max_backoff") }
        if let retry = fields["retry_on_http_429"] { queue.retryOnHTTP429 = try self.bool(retry, "\(key).retry_on_http_429") }
        return queue
    }

    // MARK: Values

    private func mapping(_ node: Node, _ key: String, allowed: [String]) throws(ConfigurationError) -> [String: Node] {
        guard case .mapping(let mapping) = node else { throw self.error(node, key, "expected a mapping with keys \(allowed.joined(separator: ", "))") }
        var fields: [String: Node] = [:]
        for (name, value) in mapping {
            let text = name.scalar?.string ?? ""
            guard allowed.contains(text) else {
                throw self.error(name, "\(key).\(text)", "unknown key; valid keys here: \(allowed.joined(separator: ", "))")
            }
            guard fields[text] == nil else { throw self.error(name, "\(key).\(text)", "duplicate key") }
            fields[text] = value
        }
        return fields
    }

    private func string(_ node: Node, _ key: String, allowEmpty: Bool = false) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node, allowEmpty || !scalar.string.isEmpty else { throw self.error(node, key, "expected a non-empty value") }
        return scalar.string
    }

    private func stringMap(_ node: Node, _ key: String) throws(ConfigurationError) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw self.error(node, key, "expected a mapping of names to values") }
        var values: [String: String] = [:]
        for (name, value) in mapping {
            let text = try self.string(name, key)
            values[text] = try self.string(value, "\(key).\(text)", allowEmpty: true)
        }
        return values
    }

    private func duration(_ node: Node, _ key: String) throws(ConfigurationError) -> Duration {
        let text = try self.string(node, key)
        guard let duration = PrometheusDuration.parse(text), duration > .zero else {
            throw self.error(node, key, "expected a duration such as 30s or 5m (got \"\(text)\")")
        }
        return duration
    }

    private func bool(_ node: Node, _ key: String) throws(ConfigurationError) -> Bool {
        switch try self.string(node, key) {
        case "true": return true
        case "false": return false
        default: throw self.error(node, key, "expected true or false")
        }
    }

    /// A byte count: a whole number, or with KiB/MiB/GiB (or KB/MB/GB) after it.
    private func bytes(_ node: Node, _ key: String) throws(ConfigurationError) -> Int64 {
        let text = try self.string(node, key).replacingOccurrences(of: " ", with: "")
        let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        var number = Substring(text)
        var unit: Int64 = 1
        if let (suffix, size) = units.first(where: { text.hasSuffix($0.0) }) {
            number = text.dropLast(suffix.count)
            unit = size
        }
        guard let value = Int64(number), value > 0, value <= Int64.max / unit, value * unit >= 1 << 20 else {
            throw self.error(node, key, "expected a size of at least 1MiB, such as 512MiB or 2GiB (got \"\(text)\")")
        }
        return value * unit
    }

    private func error(_ node: Node, _ key: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(location: node.mark.map { "\(self.file):\($0.line):\($0.column)" } ?? self.file, key: key, problem: problem)
    }
}
