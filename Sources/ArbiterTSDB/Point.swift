/// One sample: Unix ms and a value.
public struct Point: Sendable, Equatable {
    public var timestamp: Int64
    public var value: Double

    public init(_ timestamp: Int64, _ value: Double) {
        self.timestamp = timestamp
        self.value = value
    }
}
