import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterRedis
import Logging
import Synchronization

/// A rate-limited type's starts, shared by every replica: one token bucket per type in Redis
/// (`arbiter:rate:<type>`, refilled on Redis's clock by ``ClusterRateLimits/take``), from which each
/// replica takes what its workers are waiting for into a reservoir of its own. The dispatch path
/// only ever takes from the reservoir (no round trip per lease); the refill runs in the background
/// and wakes the dispatch loops when starts arrive.
///
/// Every start comes out of the shared bucket, so the replicas together start no more than the
/// rate (plus one period's burst). A start taken and not used stays in its replica's reservoir,
/// at most what that replica's workers last asked for.
///
/// Redis unreachable: each replica starts at the rate divided by the replicas it last saw, from a
/// bucket of its own, and asks Redis again every ``probeInterval``; shared buckets return with Redis.
final class ClusterRateLimits: StartPermits {
    static let keyPrefix = "arbiter:rate:"
    let probeInterval = Duration.seconds(1)

    /// One type's starts on this replica.
    private struct Reservoir {
        var rate: RateLimit
        /// Starts taken from the shared bucket and not yet reserved.
        var starts = 0
        /// Starts the workers here were refused for want of them, not yet fetched.
        var wanted = 0
        /// When the shared bucket has its next start (monotonic ms), once it said it had none.
        var nextAt: Int64?
    }

    private struct State {
        var reservoirs: [String: Reservoir] = [:]
        /// Since when Redis could not be reached (monotonic ms); `nil` while it can.
        var unreachableSince: Int64?
        var replicas = 1
    }

    private let client: RedisClient
    private let state = Mutex(State())
    /// Buckets of this replica's own, at its share of each rate, while Redis is unreachable.
    private let fallback: RateLimiter
    private let clock: any TimeSource
    private let metrics: ClusterMetrics
    private let logger: Logger
    private let demand: AsyncStream<Void>.Continuation
    private let demands: AsyncStream<Void>
    /// Wakes the dispatch loops when starts arrive.
    private let arrived: @Sendable () -> Void

    init(client: RedisClient, clock: any TimeSource, metrics: ClusterMetrics, logger: Logger, arrived: @escaping @Sendable () -> Void) {
        self.client = client
        self.clock = clock
        self.fallback = RateLimiter(clock: clock)
        self.metrics = metrics
        self.logger = logger
        self.arrived = arrived
        (self.demands, self.demand) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// How many replicas share the rates while Redis is unreachable (the last count presence gave).
    func sharedBy(replicas: Int) {
        self.state.withLock { $0.replicas = max(1, replicas) }
    }

    // MARK: StartPermits

    func reserve(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64?) -> [String: Int] {
        let now = now ?? self.clock.monotonicMilliseconds()
        let (quotas, degraded, short) = self.state.withLock { state -> ([String: Int], Int?, Bool) in
            let degraded = state.unreachableSince == nil ? nil : state.replicas
            var quotas: [String: Int] = [:]
            var short = false
            for type in types {
                guard let rate = limits[type] else { continue }
                if state.reservoirs[type]?.rate != rate { state.reservoirs[type] = Reservoir(rate: rate) }
                // Without Redis the reservoir waits: this replica's own share serves instead.
                let taken = degraded == nil ? min(wanted, state.reservoirs[type]!.starts) : 0
                state.reservoirs[type]!.starts -= taken
                if taken < wanted {
                    state.reservoirs[type]!.wanted = max(state.reservoirs[type]!.wanted, wanted - taken)
                    short = true
                } else {
                    // Served in full from what is here: what was asked before is not waited for now.
                    state.reservoirs[type]!.wanted = 0
                }
                quotas[type] = taken
            }
            return (quotas, degraded, short)
        }
        if short { self.demand.yield() }
        guard let replicas = degraded else { return quotas }
        return self.fallback.reserve(types: types, wanted: wanted, limits: Self.shares(limits, replicas: replicas), now: now)
    }

    func refund(_ unused: [String: Int]) {
        let kept = self.state.withLock { state -> Bool in
            guard state.unreachableSince == nil else { return false }
            for (type, count) in unused where count > 0 { state.reservoirs[type]?.starts += count }
            return true
        }
        if !kept { self.fallback.refund(unused) }
    }

    func nextToken(types: [String], limits: [String: RateLimit], now: Int64?) -> Int64? {
        let now = now ?? self.clock.monotonicMilliseconds()
        let (waits, degraded) = self.state.withLock { state -> (Int64?, Int?) in
            let waits = types.compactMap { type -> Int64? in
                guard limits[type] != nil else { return nil }
                guard let reservoir = state.reservoirs[type] else { return 0 }
                if reservoir.starts > 0 { return 0 }
                // Starts being fetched wake the loops when they arrive; this is the longest wait (a
                // fetch due or under way: a short while, not a busy loop).
                guard let next = reservoir.nextAt, next > now else { return 50 }
                return next - now
            }
            return (waits.min(), state.unreachableSince == nil ? nil : state.replicas)
        }
        guard let replicas = degraded else { return waits }
        return self.fallback.nextToken(types: types, limits: Self.shares(limits, replicas: replicas), now: now)
    }

    /// Each replica's share of the rates, while Redis is unreachable.
    private static func shares(_ limits: [String: RateLimit], replicas: Int) -> [String: RateLimit] {
        limits.mapValues { RateLimit(count: $0.count / Double(replicas), per: $0.per) }
    }

    // MARK: Fetching

    /// Fetches what the workers here wait for until cancelled.
    func run() async {
        var pending = self.demands.makeAsyncIterator()
        while !Task.isCancelled {
            let wait = await self.fetchWanted()
            if let wait {
                // Some type is still short: ask again when its bucket has a start, but look at new
                // demand (another type's) within 50 ms.
                try? await Task.sleep(for: min(wait, .milliseconds(50)))
            } else {
                guard await pending.next() != nil else { return }
            }
        }
    }

    /// One round: takes from each shared bucket what the workers here are short of.
    /// - Returns: How long until the next round is worth it; `nil` when nothing is wanted.
    private func fetchWanted() async -> Duration? {
        let now = self.clock.monotonicMilliseconds()
        let asks = self.state.withLock { state in
            state.reservoirs.filter { $0.value.wanted > 0 && ($0.value.nextAt ?? now) <= now }.map { ($0.key, $0.value.rate, $0.value.wanted) }
        }
        var arrived = false
        for (type, rate, wanted) in asks {
            do {
                let (granted, wait) = try await self.take(type: type, rate: rate, wanted: wanted)
                let recovered = self.state.withLock { state -> Int64? in
                    if var reservoir = state.reservoirs[type], reservoir.rate == rate {
                        reservoir.starts += granted
                        reservoir.wanted = max(0, reservoir.wanted - granted)
                        reservoir.nextAt = granted < wanted ? self.clock.monotonicMilliseconds() + max(1, wait) : nil
                        state.reservoirs[type] = reservoir
                    }
                    defer { state.unreachableSince = nil }
                    return state.unreachableSince
                }
                if let since = recovered {
                    self.logger.notice("Redis reachable again: rate limits are shared again", metadata: ["degraded_ms": "\(now - since)"])
                    self.metrics.rateFallback.set(0)
                }
                try? self.metrics.rateStarts.labels(granted > 0 ? "granted" : "empty").increment()
                arrived = arrived || granted > 0
            } catch {
                try? self.metrics.rateStarts.labels("error").increment()
                let started = self.state.withLock { state -> Bool in
                    for key in state.reservoirs.keys { state.reservoirs[key]!.nextAt = now + self.probeInterval.wholeMilliseconds }
                    defer { state.unreachableSince = state.unreachableSince ?? now }
                    return state.unreachableSince == nil
                }
                if started {
                    self.metrics.rateFallback.set(1)
                    self.logger.error("cannot reach Redis: each replica starts rate-limited types at its share of the rate", metadata: ["error": "\(error)"])
                    // The loops waiting for shared starts take this replica's share now.
                    arrived = true
                }
                break
            }
        }
        if arrived { self.arrived() }
        return self.state.withLock { state in
            let due = state.reservoirs.values.filter { $0.wanted > 0 }.map { ($0.nextAt ?? now) - now }
            return due.min().map { .milliseconds(max(1, $0)) }
        }
    }

    /// Takes up to `wanted` starts from the type's shared bucket.
    /// - Returns: How many it got, and milliseconds until the bucket has another.
    private func take(type: String, rate: RateLimit, wanted: Int) async throws(RedisError) -> (granted: Int, wait: Int64) {
        let reply = try await self.client.run(
            Self.script, keys: [Self.keyPrefix + type],
            arguments: [
                String(TokenBucket.capacity(of: rate)), String(rate.perSecond / 1000), String(wanted), rate.description,
            ])
        let values = reply.array ?? []
        return (Int(values.first?.integer ?? 0), values.count > 1 ? values[1].integer ?? 0 : 0)
    }

    /// A token bucket on Redis's clock: one period's count at most (as ``TokenBucket``), full when
    /// first used or when its rate changes. ARGV: capacity, tokens per ms, wanted, the rate's text.
    /// Returns the starts granted and the ms until the next one.
    static let script = RedisScript(
        """
        local capacity, per_ms, wanted, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'rate')
        local tokens, at = capacity, now
        if b[3] == rate then tokens, at = tonumber(b[1]), tonumber(b[2]) end
        if now > at then tokens = math.min(capacity, tokens + (now - at) * per_ms) end
        local granted = math.max(0, math.min(wanted, math.floor(tokens + 1e-9)))
        tokens = tokens - granted
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', tostring(now), 'rate', rate)
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 60000)
        local wait = 0
        if tokens + 1e-9 < 1 then wait = math.ceil((1 - tokens) / per_ms) end
        return {granted, wait}
        """)
}
