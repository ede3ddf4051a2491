import ArbiterCore
import Synchronization

/// ``Coordination`` within one process: everything in memory, behind locks. What one replica
/// needs, and what a single-node Arbiter runs on.
public final class LocalCoordination: Coordination {
    public let wake: WakeSignal
    public let steering: SteeringState
    /// Notices not yet delivered: worker id → job id → notice.
    private let notices = Mutex<[String: [String: CancelNotice]]>([:])
    /// Where notices posted here are also sent, for workers connected to other replicas.
    private let relay = Mutex<(@Sendable ([(workerID: String, notice: CancelNotice)]) -> Void)?>(nil)
    /// Buckets at the rates the callers name.
    private let rateLimiter: RateLimiter
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
        self.steering = steering ?? SteeringState(clock: clock)
        self.rateLimiter = RateLimiter(clock: clock)
        self.steering.addWaker(self.wake)
    }

    // MARK: Wake-ups

    public func announceWork() {
        self.wake.signal()
    }

    // MARK: Cancel notices

    public func postCancelNotices(_ notices: [(workerID: String, notice: CancelNotice)]) {
        guard !notices.isEmpty else { return }
        self.keep(notices)
        self.relay.withLock { $0 }?(notices)
    }

    /// Sends every notice posted here to `handler` too (in a cluster, to the other replicas).
    public func relayCancelNotices(to handler: @escaping @Sendable ([(workerID: String, notice: CancelNotice)]) -> Void) {
        self.relay.withLock { $0 = handler }
    }

    /// Notices another replica posted: kept for this replica's connected workers among them (the
    /// others are not this replica's to deliver), and the dispatch loops woken. Not relayed again.
    /// - Returns: How many were for workers connected here.
    @discardableResult
    public func receiveCancelNotices(_ notices: [(workerID: String, notice: CancelNotice)]) -> Int {
        let mine = notices.filter { self.pushTarget(workerID: $0.workerID) != nil }
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
        let notices = self.notices.withLock { $0.removeValue(forKey: workerID) } ?? [:]
        return notices.values.sorted { $0.jobID < $1.jobID }
    }

    public func dropCancelNotices(workerIDs: [String]) {
        guard !workerIDs.isEmpty else { return }
        self.notices.withLock { waiting in
            for id in workerIDs { waiting.removeValue(forKey: id) }
        }
    }

    // MARK: Rate limits

    public func reserveStarts(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64) -> [String: Int] {
        self.rateLimiter.reserve(types: types, wanted: wanted, limits: limits, now: now)
    }

    public func refundStarts(_ unused: [String: Int]) {
        self.rateLimiter.refund(unused)
    }

    public func millisecondsUntilNextStart(types: [String], limits: [String: RateLimit], now: Int64) -> Int64? {
        self.rateLimiter.nextToken(types: types, limits: limits, now: now)
    }

    // MARK: Auth lockout

    public func lockoutRemaining(address: String, now: Int64) -> Duration? {
        self.lockouts.withLock { $0.remaining(address, now: now) }
    }

    public func recordAuthFailure(address: String, policy: AuthLockout.Policy, now: Int64) -> Duration? {
        self.lockouts.withLock { $0.recordFailure(address, policy: policy, now: now) }
    }

    public func recordAuthSuccess(address: String) {
        self.lockouts.withLock { $0.recordSuccess(address) }
    }
}
