/// A daemon configuration on a one-second clock for end-to-end tests of rules and what they steer:
/// the registry sampled and the rules evaluated every second, the shipped rules off.
enum SecondScaleConfig {
    /// - Parameters:
    ///   - ruleFiles: Rule files to load.
    ///   - jobTypes: Configured job types.
    ///   - extra: More top-level YAML.
    static func yaml(ruleFiles: [String] = [], jobTypes: [String] = ["build"], extra: String = "") -> String {
        """
        tsdb:
          sample_interval: 1s
        rules:
          builtin: false
          evaluation_interval: 1s
        rule_files: [\(ruleFiles.joined(separator: ", "))]
        job_types:
        \(jobTypes.map { "  \($0): {}" }.joined(separator: "\n"))
        \(extra)
        """
    }
}
