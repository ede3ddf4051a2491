import ArbiterPromQL

/// One rule as its file defines it, parsed and checked.
public struct RuleDefinition: Sendable {
    public enum Kind: Sendable, Equatable {
        case recording(String)
        case alerting(String)
    }

    public let kind: Kind
    public let exprText: String
    public let expr: Expr
    /// Milliseconds.
    public let holdDuration: Int64
    public let keepFiringFor: Int64
    /// Sorted by name.
    public let labels: [(name: String, value: String)]
    public let annotations: [(name: String, value: String)]
    /// Line of the rule's first key in its file.
    public let line: Int

    public var name: String {
        switch self.kind {
        case .recording(let name), .alerting(let name): name
        }
    }

    /// A fingerprint of everything that defines the rule: a reload keeps the state of a rule whose
    /// fingerprint is unchanged.
    public var fingerprint: String {
        var parts = ["\(self.kind)", self.exprText, "\(self.holdDuration)", "\(self.keepFiringFor)"]
        parts += self.labels.map { "l:\($0.name)=\($0.value)" }
        parts += self.annotations.map { "a:\($0.name)=\($0.value)" }
        return parts.joined(separator: "\u{1}")
    }
}

/// A group of rules evaluated together, in order, at one interval.
public struct RuleGroupDefinition: Sendable {
    public let name: String
    /// Milliseconds; `nil` takes the global evaluation interval.
    public let interval: Int64?
    /// Most alerts or series a rule may produce; 0 for no limit.
    public let limit: Int
    public let rules: [RuleDefinition]
    public let line: Int
}
