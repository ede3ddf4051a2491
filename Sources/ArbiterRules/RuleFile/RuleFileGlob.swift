import Foundation

/// `rule_files:` entries: a path, or a glob in its last component (`alerts/*.yml`).
public enum RuleFileGlob {
    /// The files a pattern names, sorted; a plain path is returned as it is.
    public static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        var matches: [String] = []
        var buffer = glob_t()
        defer { globfree(&buffer) }
        if glob(pattern, 0, nil, &buffer) == 0 {
            for index in 0..<Int(buffer.gl_pathc) {
                if let path = buffer.gl_pathv[index] { matches.append(String(cString: path)) }
            }
        }
        return matches.sorted()
    }
}
