/// Rule files that cannot be used, every problem listed.
public struct RuleLoadError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String { self.problems.joined(separator: "; ") }
}

/// Where the HTTP API finds the rule groups in force and asks for a reload.
public protocol RuleSource: Sendable {
    var currentGroups: [RuleGroup] { get }

    /// - Returns: The number of rules loaded.
    /// - Throws: ``RuleLoadError`` when the files cannot be used (the rules in force are kept).
    @discardableResult
    func reload() throws(RuleLoadError) -> Int
}
