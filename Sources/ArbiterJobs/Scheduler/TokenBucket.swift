/// A token bucket for a per-type rate limit: it holds up to one period's worth of starts (at least
/// one) and refills continuously at the limit's rate.
public struct TokenBucket: Sendable, Equatable {
    public let rate: RateLimit
    /// Tokens available now (fractional between refills).
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date (ms on any monotonic scale).
    private var updatedAt: Int64

    /// A full bucket.
    public init(rate: RateLimit, now: Int64) {
        self.rate = rate
        self.tokens = Self.capacity(of: rate)
        self.updatedAt = now
    }

    /// The most tokens the bucket holds: one period's count, at least one.
    public static func capacity(of rate: RateLimit) -> Double {
        max(1, rate.count.rounded(.down))
    }

    /// Takes up to `wanted` whole tokens; returns how many it took.
    public mutating func take(upTo wanted: Int, now: Int64) -> Int {
        self.refill(now: now)
        let taken = max(0, min(wanted, Int((self.tokens + Self.slack).rounded(.down))))
        self.tokens = max(0, self.tokens - Double(taken))
        return taken
    }

    /// Gives back tokens that were taken but not used.
    public mutating func refund(_ count: Int) {
        self.tokens = min(Self.capacity(of: self.rate), self.tokens + Double(max(count, 0)))
    }

    /// Milliseconds until the next whole token, 0 if one is there now.
    public mutating func millisecondsUntilNextToken(now: Int64) -> Int64 {
        self.refill(now: now)
        guard self.tokens + Self.slack < 1 else { return 0 }
        return Int64(((1 - self.tokens) / self.rate.perSecond * 1000).rounded(.up))
    }

    /// Refilling in steps adds rounding error: a bucket this close to a whole token has it (a
    /// refill exactly when the token is due must not come up a hair short).
    private static let slack = 1e-9

    private mutating func refill(now: Int64) {
        guard now > self.updatedAt else { return }
        let elapsed = Double(now - self.updatedAt) / 1000
        self.tokens = min(Self.capacity(of: self.rate), self.tokens + elapsed * self.rate.perSecond)
        self.updatedAt = now
    }
}
