/// Told what the PostgreSQL store's connections do, for metrics. Every method has a default that does
/// nothing, so an observer implements only what it exports. Called on the store's threads: keep it
/// quick and never block.
public protocol PostgresObserver: Sendable {
    /// The pool changed: connections lent to operations, connections open, operations waiting for one.
    func poolChanged(inUse: Int, open: Int, waiting: Int)
    /// An operation got a connection after waiting this long (zero when one was free).
    func acquired(after wait: Duration)
    /// A connection was opened; `replacing` when it takes the place of one that was lost.
    func connected(replacing: Bool)
    /// A connection attempt failed.
    func connectFailed(_ error: PostgresError)
    /// A statement failed (the SQLSTATE says why; class `08` is a lost connection).
    func queryFailed(_ error: PostgresError)
    /// A group commit ended: how many operations it carried, how long it took, and whether it committed.
    func groupCommitted(operations: Int, duration: Duration, committed: Bool)
    /// The `LISTEN` connection (re)started listening.
    func listening()
}

/// Nothing, for whatever an observer does not implement.
extension PostgresObserver {
    public func poolChanged(inUse: Int, open: Int, waiting: Int) {}
    public func acquired(after wait: Duration) {}
    public func connected(replacing: Bool) {}
    public func connectFailed(_ error: PostgresError) {}
    public func queryFailed(_ error: PostgresError) {}
    public func groupCommitted(operations: Int, duration: Duration, committed: Bool) {}
    public func listening() {}
}

/// An observer that ignores everything.
public struct NoPostgresObserver: PostgresObserver {
    /// An observer that ignores everything.
    public init() {}
}
