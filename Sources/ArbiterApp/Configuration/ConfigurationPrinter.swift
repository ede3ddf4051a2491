/// Prints the effective configuration as YAML, each value annotated with where it came from.
public enum ConfigurationPrinter {
    /// - Parameter loaded: The loaded configuration.
    /// - Returns: YAML text that `arbiter serve --config` would accept as is.
    public static func render(_ loaded: LoadedConfiguration) -> String {
        var lines = ["# configuration is valid; file: \(loaded.file ?? "none (defaults)")"]
        for warning in loaded.warnings { lines.append("# warning: \(warning)") }
        var section = ""
        for field in ConfigurationSchema.fields {
            let parts = field.path.split(separator: ".").map(String.init)
            let fieldSection = parts.count > 1 ? parts[0] : ""
            if fieldSection != section {
                section = fieldSection
                if !section.isEmpty { lines.append("\(section):") }
            }
            let indent = section.isEmpty ? "" : "  "
            let source = loaded.sources[field.path] ?? "default"
            let entry = "\(indent)\(parts.last!): \(field.render(loaded.configuration))"
            lines.append(entry.padding(to: 44) + "# \(source)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        self.count >= width ? self + " " : self + String(repeating: " ", count: width - self.count)
    }
}
