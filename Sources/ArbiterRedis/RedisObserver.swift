/// Told what a Redis client's connections do, for metrics. Every method has a default that does
/// nothing, so an observer implements only what it exports. Called on the client's threads: keep it
/// quick and never block.
public protocol RedisObserver: Sendable {
    /// A command ended. `name` is its first word in lower case (`set`, `evalsha`); `duration` runs
    /// from the call until the answer (waiting for a connection included); `error` is the kind of
    /// failure, `nil` when it succeeded. Each command of a pipeline is reported with the pipeline's
    /// duration.
    func command(_ name: String, duration: Duration, error: RedisError.Kind?)
    /// A connection was opened (and authenticated); `replacing` when it takes the place of one that was lost.
    func connected(replacing: Bool)
    /// A connection attempt failed.
    func connectFailed(_ error: RedisError)
}

/// Nothing, for whatever an observer does not implement.
extension RedisObserver {
    public func command(_ name: String, duration: Duration, error: RedisError.Kind?) {}
    public func connected(replacing: Bool) {}
    public func connectFailed(_ error: RedisError) {}
}

/// An observer that ignores everything.
public struct NoRedisObserver: RedisObserver {
    /// An observer that ignores everything.
    public init() {}
}
