/// Where a replica's dispatch gets the starts that rate-limited job types allow: a ``RateLimiter``
/// in this process alone, or, in a cluster, one bucket per type shared by every replica.
///
/// Every requirement is synchronous and called per lease: an implementation that shares its
/// buckets answers from what it already holds here and fetches more in the background.
public protocol StartPermits: Sendable {
    /// Reserves up to `wanted` starts of each type among `types` that `limits` names.
    /// - Returns: The quota per limited type; give back what is not used with ``refund(_:)``.
    func reserve(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64?) -> [String: Int]

    /// Gives back starts that were reserved and not used.
    func refund(_ unused: [String: Int])

    /// Milliseconds until a limited type among `types` that is out of starts gets one (`nil` when
    /// none is limited).
    func nextToken(types: [String], limits: [String: RateLimit], now: Int64?) -> Int64?
}

extension RateLimiter: StartPermits {}
