/// When to try connecting again after failures: not before a delay that starts at the configured
/// ``RedisConfiguration/reconnectDelay`` and doubles with each failure in a row, up to
/// ``RedisConfiguration/maxReconnectDelay``. A value: the caller keeps it (under its lock) and asks it.
struct ReconnectBackoff: Sendable {
    let firstDelay: Duration
    let maxDelay: Duration
    /// Failed attempts since the last success.
    private(set) var failures = 0
    /// No attempt before this.
    private(set) var retryAt: ContinuousClock.Instant?
    /// Why the last attempt failed.
    private(set) var lastFailure: RedisError?

    init(firstDelay: Duration, maxDelay: Duration) {
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    init(_ configuration: RedisConfiguration) {
        self.init(firstDelay: configuration.reconnectDelay, maxDelay: configuration.maxReconnectDelay)
    }

    /// How long until the next attempt may be made; `nil` when it may be made now.
    func remaining(at now: ContinuousClock.Instant) -> Duration? {
        guard let retryAt = self.retryAt, now < retryAt else { return nil }
        return retryAt - now
    }

    /// An attempt failed.
    /// - Returns: The wait before the next.
    @discardableResult
    mutating func failed(_ error: RedisError, at now: ContinuousClock.Instant) -> Duration {
        self.failures += 1
        self.lastFailure = error
        let delay = self.delay(afterFailures: self.failures)
        self.retryAt = now + delay
        return delay
    }

    /// An attempt succeeded: the next failure waits the first delay again.
    mutating func succeeded() {
        self.failures = 0
        self.retryAt = nil
        self.lastFailure = nil
    }

    /// The wait after `failures` failed attempts in a row.
    func delay(afterFailures failures: Int) -> Duration {
        let doublings = min(max(failures - 1, 0), 30)
        return max(min(self.firstDelay * (1 << doublings), self.maxDelay), .zero)
    }
}
