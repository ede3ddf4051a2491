/// A test harness failure: a server that would not start, a request that timed out.
public struct TestingError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
