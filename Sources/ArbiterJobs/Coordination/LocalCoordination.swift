import ArbiterCore
import Synchronization

/// ``Coordination`` within one process: everything in memory, behind locks. What one replica
/// needs, and what a single-node Arbiter runs on.
public final class LocalCoordination: Coordination {
    public let wake: WakeSignal
    public let queueHint = QueueHint()
    public let steering: SteeringState
    /// Notices not yet delivered: worker id → job id → notice.
    private let notices = Mutex<[String: [String: CancelNotice]]>([:])
    /// Notices from other replicas for workers not connected here (an HTTP worker polling this
    /// replica takes them), with when they came (monotonic ms); dropped after ``foreignHorizon``.
    private let foreign = Mutex<(notices: [String: [String: (notice: CancelNotice, at: Int64)]], prunedAt: Int64)>(([:], 0))
    /// How long a notice for a worker not connected here is kept: past any lease it could be about.
    public static let foreignHorizon: Int64 = 10 * 60_000
    private let clock: any TimeSource
    /// Where what happens here is also sent, for the other replicas (see ``relay(to:)``).
    private let relay = Mutex<(any CoordinationRelay)?>(nil)
    /// What forgets a revoked token (the token verifier's cache).
    private let revocationHandlers = Mutex<[@Sendable (String) -> Void]>([])
    /// Where starts of rate-limited types come from: buckets here at the rates the callers name,
    /// until a cluster shares them (``sharePermits(_:)``).
    private let permits: Mutex<any StartPermits>
    private let lockouts = Mutex(LockoutTable())
    /// The connection that speaks for each worker and its push target (see
    /// `LocalCoordination+Connections.swift`).
    let connected = Mutex(ConnectedWorkers())

    /// - Parameters:
    ///   - clock: What the wake-up's timeouts are measured on, and what stamps steering changes
    ///     given no time (when `steering` is not given).
    ///   - steering: The steering board; by default a new one with no observer.
    public init(clock: any TimeSource = SystemClock(), steering: SteeringState? = nil) {
        self.wake = WakeSignal(clock: clock)
        self.clock = clock
        self.steering = steering ?? SteeringState(clock: clock)
        self.permits = Mutex(RateLimiter(clock: clock))
        self.steering.addWaker(self.wake)
    }

    // MARK: Wake-ups

    public func announceWork() {
        self.queueHint.clear()
        self.wake.signal()
    }

    public func announceSlotsFreed() {
        self.wake.signal()
    }

    public func announceCapacityFreed() {
        self.announceWork()
        self.relay.withLock { $0 }?.capacityFreed()
    }

    // MARK: Relay

    /// Sends what happens here to `relay` too (in a cluster, to the other replicas): cancel notices,
    /// freed capacity, authentications, token revocations.
    public func relay(to relay: any CoordinationRelay) {
        self.relay.withLock { $0 = relay }
    }

    // MARK: Cancel notices

    public func postCancelNotices(_ notices: [(workerID: String, notice: CancelNotice)]) {
        guard !notices.isEmpty else { return }
        self.keep(notices)
        self.relay.withLock { $0 }?.cancelNotices(notices)
    }

    /// Notices another replica posted: kept, and the dispatch loops woken, for this replica's
    /// connected workers among them; kept for ``foreignHorizon`` for the others, which may be HTTP
    /// workers that poll this replica. Not relayed again.
    /// - Returns: How many were for workers connected here.
    @discardableResult
    public func receiveCancelNotices(_ notices: [(workerID: String, notice: CancelNotice)]) -> Int {
        var mine: [(workerID: String, notice: CancelNotice)] = []
        var others: [(workerID: String, notice: CancelNotice)] = []
        for item in notices {
            if self.pushTarget(workerID: item.workerID) != nil { mine.append(item) } else { others.append(item) }
        }
        if !others.isEmpty {
            let now = self.clock.monotonicMilliseconds()
            self.foreign.withLock { foreign in
                if now - foreign.prunedAt > 60_000 {
                    foreign.notices = foreign.notices.compactMapValues { jobs in
                        let kept = jobs.filter { now - $0.value.at < Self.foreignHorizon }
                        return kept.isEmpty ? nil : kept
                    }
                    foreign.prunedAt = now
                }
                for (workerID, notice) in others { foreign.notices[workerID, default: [:]][notice.jobID] = (notice, now) }
            }
        }
        guard !mine.isEmpty else { return 0 }
        self.keep(mine)
        self.announceWork()
        return mine.count
    }

    private func keep(_ notices: [(workerID: String, notice: CancelNotice)]) {
        self.notices.withLock { waiting in
            for (workerID, notice) in notices { waiting[workerID, default: [:]][notice.jobID] = notice }
        }
    }

    public func takeCancelNotices(workerID: String) -> [CancelNotice] {
        var notices = self.notices.withLock { $0.removeValue(forKey: workerID) } ?? [:]
        let foreign = self.foreign.withLock { $0.notices.removeValue(forKey: workerID) } ?? [:]
        for (job, held) in foreign where notices[job] == nil { notices[job] = held.notice }
        return notices.values.sorted { $0.jobID < $1.jobID }
    }

    public func dropCancelNotices(workerIDs: [String]) {
        guard !workerIDs.isEmpty else { return }
        self.notices.withLock { waiting in
            for id in workerIDs { waiting.removeValue(forKey: id) }
        }
        self.foreign.withLock { foreign in
            for id in workerIDs { foreign.notices.removeValue(forKey: id) }
        }
    }

    // MARK: Rate limits

    /// Takes starts from `permits` from now on (in a cluster, buckets every replica shares). Called
    /// before the dispatch loops start: starts reserved from the buckets here are not carried over.
    public func sharePermits(_ permits: any StartPermits) {
        self.permits.withLock { $0 = permits }
    }

    public func reserveStarts(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64) -> [String: Int] {
        // Most types are not limited: those dispatch without taking the lock.
        guard types.contains(where: { limits[$0] != nil }) else { return [:] }
        return self.permits.withLock { $0 }.reserve(types: types, wanted: wanted, limits: limits, now: now)
    }

    public func refundStarts(_ unused: [String: Int]) {
        guard !unused.isEmpty else { return }
        self.permits.withLock { $0 }.refund(unused)
    }

    public func millisecondsUntilNextStart(types: [String], limits: [String: RateLimit], now: Int64) -> Int64? {
        guard types.contains(where: { limits[$0] != nil }) else { return nil }
        return self.permits.withLock { $0 }.nextToken(types: types, limits: limits, now: now)
    }

    // MARK: Auth lockout

    public func lockoutRemaining(address: String, now: Int64) -> Duration? {
        self.lockouts.withLock { $0.remaining(address, now: now) }
    }

    public func recordAuthFailure(address: String, policy: AuthLockout.Policy, now: Int64) -> Duration? {
        defer { self.relay.withLock { $0 }?.authFailure(address: address, policy: policy) }
        return self.receiveAuthFailure(address: address, policy: policy, now: now)
    }

    public func recordAuthSuccess(address: String) {
        // Most requests come from addresses with no failures: only a success that forgot some is news.
        guard self.lockouts.withLock({ $0.recordSuccess(address) }) else { return }
        self.relay.withLock { $0 }?.authSuccess(address: address)
    }

    /// A failed authentication on another replica, counted here as if it were this one's.
    @discardableResult
    public func receiveAuthFailure(address: String, policy: AuthLockout.Policy, now: Int64) -> Duration? {
        self.lockouts.withLock { $0.recordFailure(address, policy: policy, now: now) }
    }

    /// An authentication on another replica succeeded.
    public func receiveAuthSuccess(address: String) {
        _ = self.lockouts.withLock { $0.recordSuccess(address) }
    }

    // MARK: Token revocations

    public func announceTokenRevoked(id: String) {
        self.receiveTokenRevoked(id: id)
        self.relay.withLock { $0 }?.tokenRevoked(id: id)
    }

    public func onTokenRevoked(_ forget: @escaping @Sendable (String) -> Void) {
        self.revocationHandlers.withLock { $0.append(forget) }
    }

    /// A token revoked on another replica: forgotten here too.
    public func receiveTokenRevoked(id: String) {
        for handler in self.revocationHandlers.withLock({ $0 }) { handler(id) }
    }
}
