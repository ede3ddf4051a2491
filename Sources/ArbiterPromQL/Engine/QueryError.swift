/// A query that could not be evaluated: over a limit, timed out, or an error in the data (such as
/// two series with the same labels in one vector).
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// `errorType` "execution" in the HTTP API.
        case execution
        case timeout
        /// Refused for its size: `errorType` "execution", named as a limit.
        case tooManySamples
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public init(_ message: String) {
        self.init(.execution, message)
    }

    public var description: String { self.message }

    static func sameLabelset() -> QueryError { QueryError("vector cannot contain metrics with the same labelset") }
}
