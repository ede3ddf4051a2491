import ArbiterCore

/// Temporary lockout of a client address after repeated failed authentication: more than `failures`
/// failures within `window` lock the address out for `duration` (answered 429 with `Retry-After`).
///
/// The policy and the clock are this process's; the failures and lockouts are kept by a
/// ``Coordination``, so replicas that share one lock an address out together.
public final class AuthLockout: Sendable {
    public struct Policy: Sendable, Equatable {
        public var failures: Int
        public var window: Duration
        public var duration: Duration

        public init(failures: Int = 10, window: Duration = .seconds(60), duration: Duration = .seconds(300)) {
            self.failures = failures
            self.window = window
            self.duration = duration
        }
    }

    public let policy: Policy
    private let clock: any TimeSource
    /// Where failures and lockouts are kept (and, with it, token revocations shared).
    public let coordination: any Coordination

    /// - Parameters:
    ///   - policy: How many failures in how long lock an address out, and for how long.
    ///   - clock: The monotonic time windows and lockouts are measured on.
    ///   - coordination: Where failures and lockouts are kept: the scheduler's, so that replicas
    ///     sharing it share lockouts. By default, a table of this lockout's own.
    public init(policy: Policy = Policy(), clock: any TimeSource = SystemClock(), coordination: (any Coordination)? = nil) {
        self.policy = policy
        self.clock = clock
        self.coordination = coordination ?? LocalCoordination(clock: clock)
    }

    /// How long `address` must still wait, or `nil` if it may try.
    /// - Parameter now: Monotonic ms; by default, now on the lockout's clock.
    public func retryAfter(_ address: String, now: Int64? = nil) -> Duration? {
        self.coordination.lockoutRemaining(address: address, now: now ?? self.clock.monotonicMilliseconds())
    }

    /// Records a failure; returns the lockout it started, if it did.
    /// - Parameter now: Monotonic ms; by default, now on the lockout's clock.
    @discardableResult
    public func recordFailure(_ address: String, now: Int64? = nil) -> Duration? {
        self.coordination.recordAuthFailure(address: address, policy: self.policy, now: now ?? self.clock.monotonicMilliseconds())
    }

    /// A client authenticated: its earlier failures no longer count.
    public func recordSuccess(_ address: String) {
        self.coordination.recordAuthSuccess(address: address)
    }
}
