import ArbiterCore

/// How often and how soon a job is tried again: up to `maxAttempts` attempts, each bounded by
/// `timeout`, with exponential backoff and full jitter between them.
///
/// Full jitter (a uniformly random delay between zero and the exponential cap) spreads the retries of
/// many jobs that failed together, so a recovering dependency is not hit by all of them at once.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts allowed in total (1 means no retry).
    public var maxAttempts: Int
    /// The backoff cap after the first failure.
    public var initialBackoff: Duration
    /// The largest backoff cap.
    public var maxBackoff: Duration
    /// How long one attempt may run before it counts as failed.
    public var timeout: Duration

    /// Arbiter's defaults: 3 attempts, backoff from 1s up to 5m, 5m per attempt.
    public static let `default` = RetryPolicy(maxAttempts: 3, initialBackoff: .seconds(1), maxBackoff: .seconds(300), timeout: .seconds(300))

    public init(maxAttempts: Int, initialBackoff: Duration, maxBackoff: Duration, timeout: Duration) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.timeout = timeout
    }

    /// The cap on the delay after a given failed attempt: `initial × 2^(attempt-1)`, at most `max`.
    /// - Parameter attempt: The attempt that failed, from 1.
    public func backoffCap(afterAttempt attempt: Int) -> Duration {
        let initial = self.initialBackoff.seconds
        let cap = self.maxBackoff.seconds
        let exponent = Double(min(max(attempt - 1, 0), 62))
        return .seconds(min(cap, initial * Double.pow2(exponent)))
    }

    /// The delay before the next attempt: uniformly random in `[0, cap]` (full jitter).
    /// - Parameters:
    ///   - attempt: The attempt that failed, from 1.
    ///   - generator: The randomness to use.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let cap = self.backoffCap(afterAttempt: attempt).seconds
        guard cap > 0 else { return .zero }
        return .seconds(Double.random(in: 0...cap, using: &generator))
    }
}

extension Double {
    fileprivate static func pow2(_ exponent: Double) -> Double {
        Double(sign: .plus, exponent: Int(exponent), significand: 1)
    }
}
