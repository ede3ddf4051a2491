import ArbiterPromQL
import Foundation
import Yams

/// A Prometheus rule file (`groups:` of recording and alerting rules), read and checked as
/// Prometheus 2.42's `rulefmt` does: unknown fields, empty or repeated group names, rules with both
/// or neither of `record`/`alert`, expressions that do not parse, invalid names, templates that do
/// not parse — each reported with its file, line and column.
public struct RuleFile: Sendable {
    public let path: String
    public let groups: [RuleGroupDefinition]

    public var ruleCount: Int { self.groups.reduce(0) { $0 + $1.rules.count } }

    /// - Throws: ``RuleFileErrors`` listing every problem, or one naming a file that cannot be read.
    public static func load(_ path: String) throws(RuleFileErrors) -> RuleFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RuleFileErrors(errors: [RuleFileError(path: path, line: 0, column: 0, message: "cannot read: \(error.localizedDescription)")])
        }
        return try Self.parse(text, path: path)
    }

    /// - Throws: ``RuleFileErrors`` listing every problem found.
    public static func parse(_ text: String, path: String) throws(RuleFileErrors) -> RuleFile {
        var reader = RuleFileReader(path: path)
        let groups = reader.read(text)
        if !reader.errors.isEmpty { throw RuleFileErrors(errors: reader.errors) }
        return RuleFile(path: path, groups: groups)
    }
}
