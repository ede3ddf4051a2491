/// The scheduler actions in force, from every driver at once: Arbiter's own rules and external
/// Alertmanagers (through the webhook) activate the same actions, and an action stays active while
/// any driver holds it, so internal and external activations merge instead of fighting. `pause`
/// actions drive each job type's ``CircuitBreaker``.
public struct SteeringBoard: Sendable {
    /// Who holds an activation: a rule's alert (its labels' fingerprint) or an external alert.
    public enum Driver: Sendable, Hashable {
        case rule(String)
        case external(String)

        var isExternal: Bool {
            if case .external = self { return true }
            return false
        }
    }

    /// One driver's claim on an action.
    public struct Activation: Sendable, Equatable {
        public var action: SteeringAction
        public var driver: Driver
        /// The alert behind it: name and value, for `GET /api/v1/actions`.
        public var alertName: String
        public var value: Double?

        public init(action: SteeringAction, driver: Driver, alertName: String, value: Double? = nil) {
            self.action = action
            self.driver = driver
            self.alertName = alertName
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
        case breaker(jobType: String, CircuitBreaker.Transition)
    }

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
    }

    private var held: [Key: [Driver: (activation: Activation, since: Int64)]] = [:]
    public private(set) var breakers: [String: CircuitBreaker] = [:]

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
        guard case .jobType(let type) = target else { return [] }
        let probe = self.active(Key(kind: .pause, target: target))?.probe ?? self.breakers[type]?.probeSize ?? 1
        var breaker = self.breakers[type] ?? CircuitBreaker(probeSize: probe)
        if breaker.probeSize != probe && breaker.state == .closed { breaker = CircuitBreaker(probeSize: probe) }
        let transition = firing ? breaker.alertFired() : breaker.alertResolved()
        self.breakers[type] = breaker
        return transition.map { [.breaker(jobType: type, $0)] } ?? []
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
            rate: rates.min { $0.perSecond < $1.perSecond }, probe: claims.map(\.activation.action.probe).max() ?? 1)
    }

    /// Whether an action of this kind holds the target or every type.
    public func isActive(_ kind: SteeringAction.Kind, for target: SteeringAction.Target) -> Bool {
        self.held[Key(kind: kind, target: target)] != nil || self.held[Key(kind: kind, target: .everyType)] != nil
    }

    /// Asks a job type's breaker whether one job may be dispatched (counting half-open probes).
    public mutating func admit(jobType: String) -> Bool {
        guard var breaker = self.breakers[jobType] else { return true }
        let admitted = breaker.admit()
        self.breakers[jobType] = breaker
        return admitted
    }

    /// A dispatched job of the type finished; a half-open breaker counts it as a probe.
    public mutating func finished(jobType: String, succeeded: Bool) -> [Change] {
        guard var breaker = self.breakers[jobType] else { return [] }
        let transition = breaker.probeFinished(succeeded: succeeded)
        self.breakers[jobType] = breaker
        return transition.map { [.breaker(jobType: jobType, $0)] } ?? []
    }
}
