import ArbiterRegex

/// One label condition of a selector: `=`, `!=`, `=~`, `!~`. Regular expressions are fully anchored,
/// as in Prometheus. A missing label matches as the empty string.
public struct LabelMatcher: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case regex = "=~"
        case notRegex = "!~"
    }

    public let name: String
    public let kind: Kind
    public let value: String
    private let regex: AnchoredRegex?

    /// - Throws: ``MatcherError`` for a regular expression that does not compile.
    public init(_ name: String, _ kind: Kind, _ value: String) throws {
        self.name = name
        self.kind = kind
        self.value = value
        self.regex = kind == .regex || kind == .notRegex ? try AnchoredRegex(value) : nil
    }

    public func matches(_ value: String?) -> Bool {
        let value = value ?? ""
        switch self.kind {
        case .equal: return value == self.value
        case .notEqual: return value != self.value
        case .regex: return self.regex!.matches(value)
        case .notRegex: return !self.regex!.matches(value)
        }
    }

    /// Whether the matcher accepts the empty string (then it also selects series without the label).
    public var matchesEmpty: Bool { self.matches("") }

    public var description: String {
        var escaped = ""
        for character in self.value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return "\(self.name)\(self.kind.rawValue)\"\(escaped)\""
    }
}

/// A regular expression matched against the whole string, as Prometheus anchors label matchers
/// and relabelling (`^(?:…)$`), in RE2's syntax and time linear in the text.
public struct AnchoredRegex: Sendable, Equatable {
    /// Two regexes are the same when their sources are.
    public static func == (lhs: AnchoredRegex, rhs: AnchoredRegex) -> Bool { lhs.source == rhs.source }

    private let regex: RE2Regex
    public let source: String

    public init(_ source: String) throws {
        self.source = source
        do {
            self.regex = try RE2Regex("^(?:" + source + ")$")
        } catch {
            throw MatcherError("invalid regular expression \"\(source)\": \(error.description)")
        }
    }

    public func matches(_ text: String) -> Bool {
        self.regex.matchesWhole(text)
    }
}

public struct MatcherError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
