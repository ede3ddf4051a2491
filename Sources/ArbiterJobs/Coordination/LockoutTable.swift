import ArbiterCore

/// The failed authentications and lockouts of client addresses, as a value: more than a policy's
/// `failures` within its `window` lock an address out for its `duration`. Times are monotonic ms.
struct LockoutTable: Sendable {
    private struct Client {
        var failures: [Int64] = []
        var lockedUntil: Int64?
    }

    private var clients: [String: Client] = [:]
    /// Addresses tracked at most; beyond it the oldest state is dropped (bounded memory under a flood).
    let capacity: Int

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// How long `address` is still locked out at `now`, or `nil` if it may try.
    func remaining(_ address: String, now: Int64) -> Duration? {
        guard let until = self.clients[address]?.lockedUntil, until > now else { return nil }
        return .milliseconds(until - now)
    }

    /// Records a failure at `now`.
    /// - Returns: The lockout it started, if it did.
    mutating func recordFailure(_ address: String, policy: AuthLockout.Policy, now: Int64) -> Duration? {
        if self.clients.count >= self.capacity, self.clients[address] == nil {
            self.clients = self.clients.filter { $0.value.lockedUntil.map { $0 > now } ?? false }
            if self.clients.count >= self.capacity { self.clients.removeAll() }
        }
        let window = policy.window.wholeMilliseconds
        var client = self.clients[address, default: Client()]
        client.failures = client.failures.filter { now - $0 < window } + [now]
        var started: Duration?
        if client.failures.count > policy.failures {
            client.lockedUntil = now + policy.duration.wholeMilliseconds
            client.failures.removeAll()
            started = policy.duration
        }
        self.clients[address] = client
        return started
    }

    /// The address authenticated: its earlier failures no longer count; a lockout in force stays.
    /// - Returns: Whether it forgot failures (there were some, and no lockout is in force).
    @discardableResult
    mutating func recordSuccess(_ address: String) -> Bool {
        guard self.clients[address] != nil, self.clients[address]?.lockedUntil == nil else { return false }
        self.clients.removeValue(forKey: address)
        return true
    }
}
