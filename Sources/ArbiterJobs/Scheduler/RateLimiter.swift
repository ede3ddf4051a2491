import ArbiterCore
import Synchronization

/// The token buckets of every rate-limited job type, shared by every dispatch path so a type's rate
/// holds however its workers connect.
public final class RateLimiter: Sendable {
    private let buckets: Mutex<[String: TokenBucket]>

    /// - Parameter limits: The rate per job type; types not listed are not limited.
    public init(limits: [String: RateLimit], now: Int64 = RateLimiter.monotonicMilliseconds()) {
        self.buckets = Mutex(limits.mapValues { TokenBucket(rate: $0, now: now) })
    }

    /// Reserves up to `wanted` starts of each limited type among `types`.
    /// - Returns: The quota per limited type (unlimited types are left out); give back what is not
    ///   used with ``refund(_:)``.
    public func reserve(types: [String], wanted: Int, now: Int64 = RateLimiter.monotonicMilliseconds()) -> [String: Int] {
        self.buckets.withLock { buckets in
            var quotas: [String: Int] = [:]
            for type in types where buckets[type] != nil {
                quotas[type] = buckets[type]!.take(upTo: wanted, now: now)
            }
            return quotas
        }
    }

    /// Returns unused reservations.
    public func refund(_ unused: [String: Int]) {
        self.buckets.withLock { buckets in
            for (type, count) in unused where count > 0 { buckets[type]?.refund(count) }
        }
    }

    /// Milliseconds until any of `types` that is out of tokens gets one (nil when none is limited).
    public func nextToken(types: [String], now: Int64 = RateLimiter.monotonicMilliseconds()) -> Int64? {
        self.buckets.withLock { buckets in
            types.compactMap { buckets[$0]?.millisecondsUntilNextToken(now: now) }.min()
        }
    }

    private static let origin = ContinuousClock.now

    /// Milliseconds on a monotonic clock (wall-clock steps do not refill or drain buckets).
    public static func monotonicMilliseconds() -> Int64 {
        (ContinuousClock.now - self.origin).wholeMilliseconds
    }
}
