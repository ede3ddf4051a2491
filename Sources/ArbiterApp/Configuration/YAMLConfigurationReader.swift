import Yams

/// Walks a YAML document against ``ConfigurationSchema``, so every mistake carries its line.
struct YAMLConfigurationReader {
    let file: String
    let text: String

    func read(into loaded: inout LoadedConfiguration) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: self.text)
        } catch let error as YamlError {
            throw self.error(from: error)
        } catch {
            throw ConfigurationError(location: self.file, key: nil, problem: "not valid YAML: \(error)")
        }
        guard let root else { return }
        if case .scalar(let scalar) = root, scalar.string.isEmpty || scalar.tag == .init(.null) { return }
        try self.walk(root, section: "", into: &loaded)
        if let (key, problem) = ConfigurationSchema.validate(loaded.configuration) {
            throw ConfigurationError(location: self.file, key: key, problem: problem)
        }
    }

    private func walk(_ node: Node, section: String, into loaded: inout LoadedConfiguration) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            let keys = ConfigurationSchema.keys(under: section).map { $0 == "*" ? "<job type name>" : $0 }.joined(separator: ", ")
            throw self.error(at: node, key: section.isEmpty ? nil : section, "expected a mapping with keys \(keys), got \(Self.kind(node))")
        }
        var seen = Set<String>()
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw self.error(at: keyNode, key: section.isEmpty ? nil : section, "keys must be plain names")
            }
            let key = keyScalar.string
            let path = section.isEmpty ? key : section + "." + key
            guard seen.insert(key).inserted else {
                throw self.error(at: keyNode, key: path, "duplicate key")
            }
            if path == "remote_write" {
                // A list of endpoints, each a mapping: read whole, with its own checks.
                loaded.configuration.remoteWrite = try RemoteWriteConfigurationReader(file: self.file).read(valueNode)
                loaded.sources[path] = "\(self.file):\(valueNode.mark?.line ?? 0)"
            } else if let (field, name) = ConfigurationSchema.field(path) {
                let value = try self.value(of: valueNode, for: field)
                if let problem = field.apply(&loaded.configuration, value, name) {
                    throw self.error(at: valueNode, key: path, "\(problem) (got \(Self.shown(valueNode)))")
                }
                loaded.sources[path] = "\(self.file):\(valueNode.mark?.line ?? 0)"
            } else if ConfigurationSchema.isSection(path) {
                if let problem = ConfigurationSchema.enterSection(path, in: &loaded.configuration) {
                    throw self.error(at: keyNode, key: path, problem)
                }
                if case .scalar(let scalar) = valueNode, scalar.tag == .init(.null) || scalar.string.isEmpty, scalar.style == .plain {
                    continue
                }
                try self.walk(valueNode, section: path, into: &loaded)
            } else {
                var problem = "unknown key"
                let candidates = ConfigurationSchema.keys(under: section).filter { $0 != "*" } + (section.isEmpty ? ["remote_write"] : [])
                if let close = candidates.min(by: { Self.distance($0, key) < Self.distance($1, key) }), Self.distance(close, key) <= 2 {
                    problem += " (did you mean \(close)?)"
                } else {
                    problem += "; valid keys here: \(candidates.joined(separator: ", "))"
                }
                throw self.error(at: keyNode, key: path, problem)
            }
        }
    }

    private func value(of node: Node, for field: ConfigField) throws(ConfigurationError) -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            if field.isList { throw self.error(at: node, key: field.path, "expected a list, got \(Self.shown(node))") }
            return .scalar(scalar.string)
        case .sequence(let sequence):
            guard field.isList else { throw self.error(at: node, key: field.path, "expected a single value, got a list") }
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else {
                    throw self.error(at: item, key: field.path, "list items must be single values, got \(Self.kind(item))")
                }
                items.append(scalar.string)
            }
            return .list(items)
        case .mapping, .alias:
            throw self.error(at: node, key: field.path, "expected \(field.isList ? "a list" : "a single value"), got \(Self.kind(node))")
        }
    }

    /// Locates a YAML syntax error at its line and column.
    private func error(from error: YamlError) -> ConfigurationError {
        func located(_ mark: Mark, _ problem: String) -> ConfigurationError {
            ConfigurationError(location: "\(self.file):\(mark.line):\(mark.column)", key: nil, problem: "not valid YAML: \(problem)")
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(mark, [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": "))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return located(context.mark, "duplicate key \(duplicates.joined(separator: ", ")) in this mapping")
        default:
            return ConfigurationError(location: self.file, key: nil, problem: "not valid YAML: \(error)")
        }
    }

    private func error(at node: Node, key: String?, _ problem: String) -> ConfigurationError {
        let location = node.mark.map { "\(self.file):\($0.line):\($0.column)" } ?? self.file
        return ConfigurationError(location: location, key: key, problem: problem)
    }

    private static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the value \"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    private static func shown(_ node: Node) -> String {
        if case .scalar(let scalar) = node { return "\"\(scalar.string)\"" }
        return kind(node)
    }

    /// Levenshtein distance, for "did you mean" hints.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
