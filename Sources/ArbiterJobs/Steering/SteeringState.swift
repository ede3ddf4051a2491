import ArbiterCore
import Synchronization

/// The ``SteeringBoard`` shared by its drivers (the rule manager, the Alertmanager webhook,
/// operators) and by what obeys it (job submission and the scheduler). Every change is handed to
/// the observer (logs, audit, metrics) and wakes the dispatch loops, since a released pause or a
/// closed breaker may free work.
public final class SteeringState: Sendable {
    private struct Inner {
        var board = SteeringBoard()
        /// Jobs let through as half-open probes: job id → the breakers (and rounds) counting them.
        var probes: [String: [SteeringBoard.Probe]] = [:]
    }

    private let inner = Mutex(Inner())
    private let observer: any SteeringObserver
    private let wakers = Mutex<[WakeSignal]>([])
    /// The buckets of throttled job types (`throttle:<type>`, at the throttle's rate): here, or in a
    /// cluster shared by every replica (``shareThrottles(_:)``), so a throttle holds across them.
    private let throttles: Mutex<any StartPermits>
    /// Where the changes drivers make here are also sent, for the other replicas.
    private let relay = Mutex<(any SteeringRelay)?>(nil)
    /// Stamps changes and reservations that are given no time (wall time).
    private let clock: any TimeSource

    /// - Parameters:
    ///   - observer: Told of every change (logs, audit, metrics).
    ///   - clock: Stamps changes and reservations that are given no time.
    public init(observer: any SteeringObserver = NoSteeringObserver(), clock: any TimeSource = SystemClock()) {
        self.observer = observer
        self.clock = clock
        self.throttles = Mutex(RateLimiter(clock: clock))
    }

    /// Takes throttled types' starts from `permits` from now on (in a cluster, buckets every replica
    /// shares). Called before the dispatch loops start.
    public func shareThrottles(_ permits: any StartPermits) {
        self.throttles.withLock { $0 = permits }
    }

    /// A throttled type's bucket among the permits.
    private static func throttleKey(_ type: String) -> String { "throttle:" + type }

    /// Wakes `signal` on every change (once, however often it is added).
    public func addWaker(_ signal: WakeSignal) {
        self.wakers.withLock { wakers in
            if !wakers.contains(where: { $0 === signal }) { wakers.append(signal) }
        }
    }

    /// Runs `body` on the board and reports what it changed (inside the lock, so the observer sees
    /// changes in the order they were made). Without a `time` the change is stamped inside the lock,
    /// as a reservation is: the stamps then order it against the leases it stops or lets through.
    @discardableResult
    private func change(at time: Int64?, cause: SteeringCause, _ body: (inout Inner, Int64) -> [SteeringBoard.Change]) -> [SteeringBoard.Change] {
        let changes = self.inner.withLock { inner in
            let time = time ?? self.clock.nowMilliseconds()
            let changes = body(&inner, time)
            if !changes.isEmpty { self.observer.steered(changes, board: inner.board, cause: cause, at: time) }
            return changes
        }
        guard !changes.isEmpty else { return [] }
        for signal in self.wakers.withLock({ $0 }) { signal.signal() }
        return changes
    }

    /// See ``SteeringBoard/update(_:external:at:)``; stamped now when no `time` is given.
    @discardableResult
    public func update(_ activations: [SteeringBoard.Activation], external: Bool, at time: Int64? = nil) -> [SteeringBoard.Change] {
        self.change(at: time, cause: external ? .webhook : .rules) { $0.board.update(activations, external: external, at: $1) }
    }

    /// The rules' activations as the leader decided them: put in force here (``update(_:external:at:)``)
    /// and sent to the other replicas, which mirror them.
    @discardableResult
    public func lead(_ activations: [SteeringBoard.Activation], at time: Int64? = nil) -> [SteeringBoard.Change] {
        let relay = self.relay.withLock { $0 }
        // Relayed in the board's lock, so the replicas hear the changes in the order they were made here.
        return self.change(at: time, cause: .rules) { inner, time in
            defer { relay?.rulesDecided(activations) }
            return inner.board.update(activations, external: false, at: time)
        }
    }

    /// Applies one Alertmanager notification: its firing alerts claim their actions, its resolved
    /// ones (by driver) release theirs; what other notifications hold stays. Sent to the other replicas.
    @discardableResult
    public func applyExternal(firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>, at time: Int64? = nil) -> [SteeringBoard.Change] {
        let relay = self.relay.withLock { $0 }
        return self.applyExternal(firing: firing, resolved: resolved, at: time, cause: .webhook) {
            relay?.externalApplied(firing: firing, resolved: resolved)
        }
    }

    /// `relayed` runs in the board's lock, after the change.
    @discardableResult
    private func applyExternal(
        firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>, at time: Int64?, cause: SteeringCause,
        relayed: () -> Void = {}
    ) -> [SteeringBoard.Change] {
        self.change(at: time, cause: cause) { inner, time in
            defer { relayed() }
            let replaced = resolved.union(firing.map(\.driver))
            let kept = inner.board.externalActivations.filter { !replaced.contains($0.driver) }
            return inner.board.update(kept + firing, external: true, at: time)
        }
    }

    /// See ``SteeringBoard/override(jobType:_:)``. Sent to the other replicas.
    @discardableResult
    public func override(jobType: String, _ override: CircuitBreaker.Override?, at time: Int64) -> [SteeringBoard.Change] {
        let relay = self.relay.withLock { $0 }
        return self.change(at: time, cause: .operator) { inner, _ in
            defer { relay?.overridden(jobType: jobType, override) }
            return inner.board.override(jobType: jobType, override)
        }
    }

    /// See ``SteeringBoard/silence(_:until:)``. Sent to the other replicas.
    @discardableResult
    public func silence(_ key: SteeringBoard.Key, until: Int64?, at time: Int64) -> [SteeringBoard.Change] {
        let relay = self.relay.withLock { $0 }
        return self.change(at: time, cause: .operator) { inner, _ in
            defer { relay?.silenced(key, until: until) }
            return inner.board.silence(key, until: until)
        }
    }

    // MARK: Replicas

    /// Sends the changes drivers make here to `relay` too (in a cluster, to the other replicas).
    public func relay(to relay: any SteeringRelay) {
        self.relay.withLock { $0 = relay }
    }

    /// The leader's rule activations, mirrored on a replica that does not lead.
    public func mirrorRules(_ activations: [SteeringBoard.Activation]) {
        self.change(at: nil, cause: .replica) { $0.board.update(activations, external: false, at: $1) }
    }

    /// An Alertmanager notification another replica received.
    public func mirrorExternal(firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>) {
        self.applyExternal(firing: firing, resolved: resolved, at: nil, cause: .replica)
    }

    /// An operator's override on another replica.
    public func mirrorOverride(jobType: String, _ override: CircuitBreaker.Override?) {
        self.change(at: nil, cause: .replica) { inner, _ in inner.board.override(jobType: jobType, override) }
    }

    /// An operator's silence on another replica.
    public func mirrorSilence(_ key: SteeringBoard.Key, until: Int64?) {
        self.change(at: nil, cause: .replica) { inner, _ in inner.board.silence(key, until: until) }
    }

    /// Ends the overrides and silences whose time is up (called by the scheduler's clock).
    public func expire(now: Int64) {
        self.change(at: now, cause: .expiry) { inner, _ in inner.board.expire(now: now) }
    }

    /// The `shed` action holding the job type (or every type), if one does.
    public func shedding(jobType: String) -> SteeringBoard.Active? {
        self.inner.withLock { $0.board.shedding(jobType: jobType) }
    }

    /// Whether a `drain` holds the worker.
    public func draining(workerID: String) -> Bool {
        self.inner.withLock { $0.board.isEnforced(SteeringBoard.Key(kind: .drain, target: .worker(workerID))) }
    }

    public var board: SteeringBoard { self.inner.withLock { $0.board } }

    // MARK: Dispatch

    /// What one lease attempt may take of each steered type.
    public struct Reservation: Sendable {
        /// The wall clock when it was made, read inside the board's lock: the time to stamp its
        /// leases with, so that no lease is stamped after a change that would have stopped it, nor
        /// before one that let it through.
        public var at: Int64 = 0
        /// The most jobs per steered type (types not listed are not steered).
        public var quotas: [String: Int] = [:]
        var probing: [String: [SteeringBoard.Probe]] = [:]
        var throttled: [String: Int] = [:]
    }

    /// Reserves up to `wanted` dispatches of each of `types` within the breakers and throttles.
    public func reserve(types: [String], wanted: Int, now: Int64) -> Reservation {
        self.inner.withLock { inner in
            var reservation = Reservation(at: self.clock.nowMilliseconds())
            for type in types {
                var quota = wanted
                if inner.board.available(jobType: type) != nil {
                    let (count, probing) = inner.board.admit(jobType: type, upTo: wanted)
                    quota = count
                    if !probing.isEmpty { reservation.probing[type] = probing }
                    reservation.quotas[type] = count
                }
                if let rate = inner.board.throttle(jobType: type) {
                    // Only a throttled type reads the buckets: most leases take no lock but the board's.
                    let throttles = self.throttles.withLock { $0 }
                    let key = Self.throttleKey(type)
                    let taken = throttles.reserve(types: [key], wanted: quota, limits: [key: rate], now: now)[key] ?? 0
                    reservation.throttled[type] = taken
                    reservation.quotas[type] = taken
                    if let keys = reservation.probing[type] { inner.board.returnProbes(quota - taken, to: keys) }
                }
            }
            return reservation
        }
    }

    /// Settles a reservation with the jobs leased under it: leased probes are remembered, and
    /// unused probes and throttle tokens are given back.
    public func settle(_ reservation: Reservation, leased: [JobRecord]) {
        guard !reservation.quotas.isEmpty else { return }
        var unused: [String: Int] = [:]
        for (type, taken) in reservation.throttled { unused[Self.throttleKey(type)] = taken - leased.lazy.filter { $0.type == type }.count }
        if !unused.isEmpty { self.throttles.withLock { $0 }.refund(unused) }
        self.inner.withLock { inner in
            var used: [String: Int] = [:]
            for job in leased {
                used[job.type, default: 0] += 1
                if let keys = reservation.probing[job.type] { inner.probes[job.id] = keys }
            }
            for (type, keys) in reservation.probing {
                inner.board.returnProbes((reservation.quotas[type] ?? 0) - used[type, default: 0], to: keys)
            }
        }
    }

    /// A dispatched job's attempt ended: a probe's outcome decides its breakers; a cancelled probe
    /// is given back so another takes its place.
    ///
    /// In a cluster a probe may end on another replica than the one that let it through (its worker
    /// moved, its lease expired on the leader): an attempt that is no probe here, of a type whose
    /// breaker is half-open, is told to the other replicas, and the one holding the probe settles it.
    public func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {
        self.settleProbe(jobID: job.id, outcome: outcome, now: now) { inner in
            // Only while a breaker of its type probes: otherwise no replica holds it as a probe. (The
            // relay is read only then: every attempt's end passes here.)
            guard [job.type, SteeringBoard.everyType].contains(where: { inner.board.breakers[$0]?.isProbing == true }) else { return }
            self.relay.withLock { $0 }?.attemptEnded(jobID: job.id, outcome: outcome)
        }
    }

    /// An attempt that ended on another replica: settled here if it is a probe of this replica's.
    public func mirrorAttemptEnded(jobID: String, outcome: AttemptOutcome) {
        self.settleProbe(jobID: jobID, outcome: outcome, now: self.clock.nowMilliseconds()) { _ in }
    }

    /// Settles the probe `jobID` if it is one here; else runs `notHere` (in the lock).
    private func settleProbe(jobID: String, outcome: AttemptOutcome, now: Int64, notHere: (Inner) -> Void) {
        self.change(at: now, cause: .probe(jobID: jobID)) { inner, _ in
            // Only probes matter: for every other job this is one dictionary lookup.
            guard let keys = inner.probes.removeValue(forKey: jobID) else {
                notHere(inner)
                return []
            }
            switch outcome {
            case .succeeded: return inner.board.probeFinished(succeeded: true, probes: keys, at: now)
            case .failed, .leaseExpired: return inner.board.probeFinished(succeeded: false, probes: keys, at: now)
            case .cancelled:
                inner.board.returnProbes(1, to: keys)
                return []
            }
        }
    }

    /// Milliseconds until a throttled type among `types` gets its next token (nil when none is).
    public func nextToken(types: [String], now: Int64) -> Int64? {
        let rates = self.inner.withLock { inner in types.compactMap { type in inner.board.throttle(jobType: type).map { (Self.throttleKey(type), $0) } } }
        guard !rates.isEmpty else { return nil }
        return self.throttles.withLock { $0 }.nextToken(types: rates.map(\.0), limits: Dictionary(rates) { first, _ in first }, now: now)
    }
}

/// Where a replica sends the steering its drivers decide, for the other replicas to mirror.
public protocol SteeringRelay: Sendable {
    /// The leader's rules hold exactly these activations now.
    func rulesDecided(_ activations: [SteeringBoard.Activation])
    /// An Alertmanager notification was applied.
    func externalApplied(firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>)
    /// An operator overrode a breaker (or lifted the override, `nil`).
    func overridden(jobType: String, _ override: CircuitBreaker.Override?)
    /// An operator silenced an action (or ended the silence, `nil`).
    func silenced(_ key: SteeringBoard.Key, until: Int64?)
    /// An attempt ended here that is no probe of this replica's, while its type's breaker probes.
    func attemptEnded(jobID: String, outcome: AttemptOutcome)
}

/// What made the steering board change, for logs and the audit.
public enum SteeringCause: Sendable, Equatable {
    /// Arbiter's own rules.
    case rules
    /// An Alertmanager through the webhook.
    case webhook
    /// An operator through the API (the audit actor names who).
    case `operator`
    /// A half-open probe finished.
    case probe(jobID: String)
    /// An override or silence ran out.
    case expiry
    /// Another replica's change, mirrored here (audited where it was made).
    case replica
}

/// Told of every change of the steering board, with the board afterwards.
public protocol SteeringObserver: Sendable {
    func steered(_ changes: [SteeringBoard.Change], board: SteeringBoard, cause: SteeringCause, at time: Int64)
}

/// An observer that ignores everything.
public struct NoSteeringObserver: SteeringObserver {
    public init() {}
    public func steered(_ changes: [SteeringBoard.Change], board: SteeringBoard, cause: SteeringCause, at time: Int64) {}
}
