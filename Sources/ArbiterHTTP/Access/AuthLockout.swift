import Synchronization

/// Temporary lockout of a client address after repeated failed authentication: more than `failures`
/// failures within `window` lock the address out for `duration` (answered 429 with `Retry-After`).
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

    private struct Client {
        var failures: [ContinuousClock.Instant] = []
        var lockedUntil: ContinuousClock.Instant?
    }

    public let policy: Policy
    private let clients = Mutex<[String: Client]>([:])
    /// Addresses tracked at most; beyond it the oldest state is dropped (bounded memory under a flood).
    private let capacity = 50_000

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// How long `address` must still wait, or `nil` if it may try.
    public func retryAfter(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        self.clients.withLock { clients in
            guard let until = clients[address]?.lockedUntil, until > now else { return nil }
            return until - now
        }
    }

    /// Records a failure; returns the lockout it started, if it did.
    @discardableResult
    public func recordFailure(_ address: String, now: ContinuousClock.Instant = .now) -> Duration? {
        self.clients.withLock { clients in
            if clients.count >= self.capacity, clients[address] == nil {
                clients = clients.filter { $0.value.lockedUntil.map { $0 > now } ?? false }
                if clients.count >= self.capacity { clients.removeAll() }
            }
            var client = clients[address, default: Client()]
            client.failures = client.failures.filter { now - $0 < self.policy.window } + [now]
            var started: Duration?
            if client.failures.count > self.policy.failures {
                client.lockedUntil = now + self.policy.duration
                client.failures.removeAll()
                started = self.policy.duration
            }
            clients[address] = client
            return started
        }
    }

    /// A client authenticated: its earlier failures no longer count.
    public func recordSuccess(_ address: String) {
        self.clients.withLock { clients in
            if clients[address]?.lockedUntil == nil { clients.removeValue(forKey: address) }
        }
    }
}
