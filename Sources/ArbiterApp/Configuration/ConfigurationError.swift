/// A configuration mistake, located: the file and line for YAML, the variable for the environment,
/// the flag for the command line.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// `file:line:column`, `environment variable ARBITER_X` or `flag --x`.
    public let location: String
    /// The dotted key at fault, if one is.
    public let key: String?
    /// What is wrong.
    public let problem: String

    init(location: String, key: String?, problem: String) {
        self.location = location
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { return "\(self.location): \(key): \(self.problem)" }
        return "\(self.location): \(self.problem)"
    }
}
