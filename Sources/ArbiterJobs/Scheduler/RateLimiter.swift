import ArbiterCore
import Synchronization

/// The token buckets of rate-limited job types, shared by every dispatch path so a type's rate
/// holds however its workers connect. Buckets run on monotonic time: a step of the wall clock
/// neither refills nor drains them.
public final class RateLimiter: Sendable {
    /// The rates given at creation, for the calls that name none.
    private let limits: [String: RateLimit]
    private let buckets: Mutex<[String: TokenBucket]>
    /// Read by calls that pass no time.
    private let clock: any TimeSource

    /// - Parameters:
    ///   - limits: The rate per job type for calls that name no rates; types not listed are not limited.
    ///   - clock: Read by calls that pass no time.
    ///   - now: When the buckets of `limits` start full (monotonic ms); by default, now on `clock`.
    public init(limits: [String: RateLimit] = [:], clock: any TimeSource = SystemClock(), now: Int64? = nil) {
        self.limits = limits
        self.clock = clock
        let now = now ?? clock.monotonicMilliseconds()
        self.buckets = Mutex(limits.mapValues { TokenBucket(rate: $0, now: now) })
    }

    /// Reserves up to `wanted` starts of each limited type among `types`, at the rates given at creation.
    /// - Returns: The quota per limited type (unlimited types are left out); give back what is not
    ///   used with ``refund(_:)``.
    public func reserve(types: [String], wanted: Int, now: Int64? = nil) -> [String: Int] {
        self.reserve(types: types, wanted: wanted, limits: self.limits, now: now)
    }

    /// Reserves up to `wanted` starts of each type among `types` that `limits` names, at that rate.
    /// A type's bucket starts full the first time its rate is named, and starts full again when
    /// its rate changes.
    /// - Parameters:
    ///   - types: The types a worker may run.
    ///   - wanted: The most starts of each.
    ///   - limits: The rate per job type; types not listed are not limited.
    ///   - now: Monotonic ms; by default, now on the limiter's clock.
    /// - Returns: The quota per limited type (unlimited types are left out); give back what is not
    ///   used with ``refund(_:)``.
    public func reserve(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64? = nil) -> [String: Int] {
        // Most types are not limited: those dispatch without taking the lock.
        guard types.contains(where: { limits[$0] != nil }) else { return [:] }
        let now = now ?? self.clock.monotonicMilliseconds()
        return self.buckets.withLock { buckets in
            var quotas: [String: Int] = [:]
            for type in types {
                guard let rate = limits[type] else { continue }
                if buckets[type]?.rate != rate { buckets[type] = TokenBucket(rate: rate, now: now) }
                quotas[type] = buckets[type]!.take(upTo: wanted, now: now)
            }
            return quotas
        }
    }

    /// Returns unused reservations.
    public func refund(_ unused: [String: Int]) {
        guard !unused.isEmpty else { return }
        self.buckets.withLock { buckets in
            for (type, count) in unused where count > 0 { buckets[type]?.refund(count) }
        }
    }

    /// Milliseconds until any of `types` that is out of tokens gets one, at the rates given at
    /// creation (nil when none is limited).
    public func nextToken(types: [String], now: Int64? = nil) -> Int64? {
        self.nextToken(types: types, limits: self.limits, now: now)
    }

    /// Milliseconds until any of `types` that `limits` names and that is out of tokens gets one
    /// (nil when none is limited or none has a bucket yet).
    public func nextToken(types: [String], limits: [String: RateLimit], now: Int64? = nil) -> Int64? {
        guard types.contains(where: { limits[$0] != nil }) else { return nil }
        let now = now ?? self.clock.monotonicMilliseconds()
        return self.buckets.withLock { buckets in
            types.compactMap { type in limits[type] == nil ? nil : buckets[type]?.millisecondsUntilNextToken(now: now) }.min()
        }
    }

    /// Milliseconds on the system's monotonic clock (``SystemClock/monotonicMilliseconds()``).
    public static func monotonicMilliseconds() -> Int64 {
        SystemClock().monotonicMilliseconds()
    }
}
