/// A problem in a rule file, with where it is: `rules.yml:12:11: group "jobs", rule 2, "JobsFailing": …`.
public struct RuleFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(self.path):\(self.line):\(self.column): \(self.message)" }
}

/// Every problem found in one rule file.
public struct RuleFileErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [RuleFileError]

    public var description: String { self.errors.map(\.description).joined(separator: "\n") }
}
