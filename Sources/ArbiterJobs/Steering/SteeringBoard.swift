/// The scheduler actions in force, from every driver at once: Arbiter's own rules and external
/// Alertmanagers (through the webhook) activate the same actions, and an action stays active while
/// any driver holds it, so internal and external activations merge instead of fighting. `pause`
/// actions drive each job type's ``CircuitBreaker``.
public struct SteeringBoard: Sendable {
    /// Who holds an activation: a rule's alert (its labels' fingerprint) or an external alert.
    public enum Driver: Sendable, Hashable {
        case rule(String)
        case external(String)

        public var isExternal: Bool {
            if case .external = self { return true }
            return false
        }
    }

    /// One driver's claim on an action.
    public struct Activation: Sendable, Equatable {
        public var action: SteeringAction
        public var driver: Driver
        /// The alert behind it: name, labels and value, for `GET /api/v1/actions`.
        public var alertName: String
        public var labels: [String: String]
        public var value: Double?

        public init(action: SteeringAction, driver: Driver, alertName: String, labels: [String: String] = [:], value: Double? = nil) {
            self.action = action
            self.driver = driver
            self.alertName = alertName
            self.labels = labels
            self.value = value
        }
    }

    /// An action and its target, the unit that is active or not.
    public struct Key: Sendable, Hashable, CustomStringConvertible {
        public var kind: SteeringAction.Kind
        public var target: SteeringAction.Target

        public init(kind: SteeringAction.Kind, target: SteeringAction.Target) {
            self.kind = kind
            self.target = target
        }

        public var description: String { "\(self.kind.rawValue) \(self.target)" }
    }

    /// What changed, for the log, the audit and `arbiter_scheduler_actions_total{action,transition}`.
    public enum Change: Sendable, Equatable {
        case activated(Key)
        case released(Key)
        /// A breaker moved; `jobType` is ``SteeringBoard/everyType`` for a pause without a target.
        case breaker(jobType: String, CircuitBreaker.Transition)
        /// An operator set (or lifted, `nil`) an override on a breaker.
        case overridden(jobType: String, CircuitBreaker.Override?)
        /// An operator silenced an action until a time (or the silence ended, `nil`).
        case silenced(Key, until: Int64?)
    }

    /// The breaker of a pause that names no job type: it holds every type.
    public static let everyType = "*"

    /// An action in force, merged over its drivers.
    public struct Active: Sendable, Equatable {
        public var key: Key
        /// Unix ms it became active (the earliest driver's).
        public var since: Int64
        public var activations: [Activation]
        /// The strictest rate of a throttle's drivers.
        public var rate: RateLimit?
        /// The largest probe size of a pause's drivers.
        public var probe: Int
        /// Until when an operator silenced it (held but not obeyed).
        public var silencedUntil: Int64?
    }

    private var held: [Key: [Driver: (activation: Activation, since: Int64)]] = [:]
    public private(set) var breakers: [String: CircuitBreaker] = [:]
    /// Actions an operator silenced, and until when (Unix ms).
    public private(set) var silences: [Key: Int64] = [:]

    public init() {}

    /// Replaces everything the rules (or, with `external`, the external drivers) hold with
    /// `activations`, as of `time`.
    public mutating func update(_ activations: [Activation], external: Bool, at time: Int64) -> [Change] {
        var changes: [Change] = []
        let before = Set(self.held.keys)
        // Drop this side's old claims, keeping the start of those it still holds.
        var previous: [Key: [Driver: Int64]] = [:]
        for (key, drivers) in self.held {
            for (driver, claim) in drivers where driver.isExternal == external {
                previous[key, default: [:]][driver] = claim.since
                self.held[key]![driver] = nil
            }
            if self.held[key]!.isEmpty { self.held[key] = nil }
        }
        for activation in activations where activation.driver.isExternal == external {
            let key = Key(kind: activation.action.kind, target: activation.action.target)
            let since = previous[key]?[activation.driver] ?? time
            self.held[key, default: [:]][activation.driver] = (activation, since)
        }
        let after = Set(self.held.keys)
        for key in after.subtracting(before).sorted(by: { $0.description < $1.description }) {
            changes.append(.activated(key))
            if key.kind == .pause { changes += self.pause(key.target, firing: true) }
        }
        for key in before.subtracting(after).sorted(by: { $0.description < $1.description }) {
            changes.append(.released(key))
            if key.kind == .pause { changes += self.pause(key.target, firing: false) }
        }
        return changes
    }

    private mutating func pause(_ target: SteeringAction.Target, firing: Bool) -> [Change] {
        let type: String
        switch target {
        case .jobType(let name): type = name
        case .everyType: type = Self.everyType
        case .worker: return []
        }
        let probe = self.active(Key(kind: .pause, target: target))?.probe ?? self.breakers[type]?.probeSize ?? 1
        var breaker = self.breakers[type] ?? CircuitBreaker(probeSize: probe)
        if breaker.probeSize != probe && breaker.state == .closed { breaker = CircuitBreaker(probeSize: probe) }
        let transition = firing ? breaker.alertFired() : breaker.alertResolved()
        self.breakers[type] = breaker
        return transition.map { [.breaker(jobType: type, $0)] } ?? []
    }

    /// What the external drivers hold now.
    public var externalActivations: [Activation] {
        self.held.values.flatMap { $0.values.map(\.activation).filter(\.driver.isExternal) }
    }

    /// The rule alerts (by driver) whose actions are in force.
    public var ruleDrivers: Set<Driver> {
        Set(self.held.values.flatMap { $0.values.map(\.activation.driver).filter { !$0.isExternal } })
    }

    /// Every action in force, merged over its drivers.
    public var active: [Active] {
        self.held.keys.compactMap(self.active(_:)).sorted { $0.key.description < $1.key.description }
    }

    /// One action in force, merged over its drivers, if it is.
    public func active(_ key: Key) -> Active? {
        guard let drivers = self.held[key] else { return nil }
        let claims = drivers.values.sorted { $0.since < $1.since }
        let rates = claims.compactMap(\.activation.action.rate)
        return Active(
            key: key, since: claims.first?.since ?? 0, activations: claims.map(\.activation),
            rate: rates.min { $0.perSecond < $1.perSecond }, probe: claims.map(\.activation.action.probe).max() ?? 1,
            silencedUntil: self.silences[key])
    }

    /// Whether an action holds the key and is obeyed (not silenced).
    public func isEnforced(_ key: Key) -> Bool {
        self.held[key] != nil && self.silences[key] == nil
    }

    /// Whether an obeyed action of this kind holds the target or every type.
    public func isActive(_ kind: SteeringAction.Kind, for target: SteeringAction.Target) -> Bool {
        self.isEnforced(Key(kind: kind, target: target)) || self.isEnforced(Key(kind: kind, target: .everyType))
    }

    /// The obeyed `shed` holding the job type (or every type), if one does.
    public func shedding(jobType: String) -> Active? {
        [Key(kind: .shed, target: .jobType(jobType)), Key(kind: .shed, target: .everyType)].first(where: self.isEnforced).flatMap(self.active)
    }

    /// The strictest obeyed throttle on the job type (its own or every type's).
    public func throttle(jobType: String) -> RateLimit? {
        [Key(kind: .throttle, target: .jobType(jobType)), Key(kind: .throttle, target: .everyType)]
            .filter(self.isEnforced).compactMap { self.active($0)?.rate }.min { $0.perSecond < $1.perSecond }
    }

    // MARK: Breakers

    /// The breakers that hold a job type: its own and the every-type one, where they exist and
    /// their pause is not silenced.
    private func breakerKeys(jobType: String) -> [String] {
        [(jobType, SteeringAction.Target.jobType(jobType)), (Self.everyType, .everyType)].compactMap { name, target in
            guard self.breakers[name] != nil, self.silences[Key(kind: .pause, target: target)] == nil else { return nil }
            return name
        }
    }

    /// How many jobs of the type the breakers let through now (`nil`: no limit).
    public func available(jobType: String) -> Int? {
        self.breakerKeys(jobType: jobType).compactMap { self.breakers[$0]?.available }.min()
    }

    /// Asks a job type's breaker whether one job may be dispatched (counting half-open probes).
    public mutating func admit(jobType: String) -> Bool {
        self.admit(jobType: jobType, upTo: 1).count == 1
    }

    /// A job let through by a half-open breaker: the breaker and the half-open round it belongs to.
    public struct Probe: Sendable, Hashable {
        public let breaker: String
        public let trial: Int
    }

    /// Admits up to `wanted` jobs of the type.
    /// - Returns: How many, and the half-open breakers (with their rounds) that count them as probes.
    public mutating func admit(jobType: String, upTo wanted: Int) -> (count: Int, probing: [Probe]) {
        let keys = self.breakerKeys(jobType: jobType)
        let count = max(0, min(wanted, keys.compactMap { self.breakers[$0]?.available }.min() ?? wanted))
        var probing: [Probe] = []
        for key in keys where self.breakers[key]!.available != nil {
            _ = self.breakers[key]!.admit(upTo: count)
            probing.append(Probe(breaker: key, trial: self.breakers[key]!.trial))
        }
        return (count, count > 0 ? probing : [])
    }

    /// Gives probes back to the breakers that admitted them (the jobs never ran); a breaker in
    /// another round since keeps its count.
    public mutating func returnProbes(_ count: Int, to probes: [Probe]) {
        for probe in probes { self.breakers[probe.breaker]?.returnProbes(count, trial: probe.trial) }
    }

    /// A dispatched job of the type finished; a half-open breaker counts it as a probe.
    public mutating func finished(jobType: String, succeeded: Bool, at time: Int64 = 0) -> [Change] {
        guard let trial = self.breakers[jobType]?.trial else { return [] }
        return self.probeFinished(succeeded: succeeded, probes: [Probe(breaker: jobType, trial: trial)], at: time)
    }

    /// A job admitted as these probes finished; each breaker counts it only in the round that
    /// admitted it.
    public mutating func probeFinished(succeeded: Bool, probes: [Probe], at time: Int64) -> [Change] {
        probes.compactMap { probe in
            guard var breaker = self.breakers[probe.breaker] else { return nil }
            let transition = breaker.probeFinished(succeeded: succeeded, trial: probe.trial, at: time)
            self.breakers[probe.breaker] = breaker
            return transition.map { .breaker(jobType: probe.breaker, $0) }
        }
    }

    // MARK: Operators

    /// Forces a job type's breaker open or closed (or lifts the override with `nil`).
    public mutating func override(jobType: String, _ override: CircuitBreaker.Override?) -> [Change] {
        var breaker = self.breakers[jobType] ?? CircuitBreaker(probeSize: 1)
        guard breaker.override != override else { return [] }
        breaker.setOverride(override)
        self.breakers[jobType] = breaker
        return [.overridden(jobType: jobType, override)]
    }

    /// Silences an action until `until` (it stays listed but is not obeyed), or ends the silence.
    public mutating func silence(_ key: Key, until: Int64?) -> [Change] {
        guard self.silences[key] != until else { return [] }
        self.silences[key] = until
        return [.silenced(key, until: until)]
    }

    /// Ends the overrides and silences whose time is up, and half-opens breakers whose failed
    /// probe's cooldown is over.
    public mutating func expire(now: Int64) -> [Change] {
        var changes: [Change] = []
        for (key, until) in self.silences where until <= now {
            self.silences[key] = nil
            changes.append(.silenced(key, until: nil))
        }
        for name in self.breakers.keys.sorted() where self.breakers[name]!.expire(now: now) {
            changes.append(.overridden(jobType: name, nil))
        }
        for name in self.breakers.keys.sorted() {
            if let transition = self.breakers[name]!.probeAgain(now: now) { changes.append(.breaker(jobType: name, transition)) }
        }
        return changes
    }
}
