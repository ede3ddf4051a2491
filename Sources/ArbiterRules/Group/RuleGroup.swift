import ArbiterPromQL
import ArbiterTSDB
import Dispatch
import Synchronization

/// A rule group: its rules evaluated in order at one timestamp (each seeing the ones before it),
/// their results written to storage, and what each evaluation left behind.
public final class RuleGroup: Sendable {
    public let file: String
    public let definition: RuleGroupDefinition
    /// Milliseconds between evaluations.
    public let interval: Int64

    struct State {
        var rules: [RuleState]
        var lastEvaluation: Int64?
        var lastDurationSeconds: Double = 0
        var evaluations = 0
        /// An evaluation has copied the rules out and not yet written them back.
        var evaluating = false
        /// A reload replaced or removed the group: no evaluation of it starts any more.
        var stopped = false
        /// Groups this one adopted while an evaluation of theirs was in flight: until each has
        /// handed over what that evaluation wrote back, this group does not evaluate.
        var pendingHandoffs = 0
        /// Groups that adopted this one while its rules were about to change (an evaluation in
        /// flight, or a handoff of its own pending): they get the rules once they settle.
        var heirs: [RuleGroup] = []

        /// Whether the rules may still change under an adopter (see ``RuleGroup/adopt(_:)``).
        var unsettled: Bool { self.evaluating || self.pendingHandoffs > 0 }

        /// The heirs to hand the rules to, once they have settled.
        mutating func takeHeirsIfSettled() -> [RuleGroup] {
            guard !self.unsettled, !self.heirs.isEmpty else { return [] }
            defer { self.heirs = [] }
            return self.heirs
        }
    }

    private let state: Mutex<State>

    public init(file: String, definition: RuleGroupDefinition, defaultInterval: Int64) {
        self.file = file
        self.definition = definition
        self.interval = definition.interval ?? defaultInterval
        self.state = Mutex(State(rules: definition.rules.map(RuleState.init)))
    }

    public var name: String { self.definition.name }

    /// `file;name`, how Prometheus keys a group in its metrics.
    public var key: String { self.file + ";" + self.definition.name }

    /// What one evaluation did.
    public struct Evaluation: Sendable {
        public var time: Int64
        public var durationSeconds: Double
        public var rulesEvaluated = 0
        /// Rule name and error, for each rule that failed.
        public var failures: [(rule: String, error: String)] = []
        public var transitions: [(rule: String, AlertSet.Transitions)] = []
        public var samplesWritten = 0
    }

    /// Evaluates every rule at `time` (Unix ms).
    ///
    /// - Important: A group has one evaluation in flight at most. It evaluates no more once a reload
    ///   has replaced it (``adopt(_:)``) or removed it (``stop()``), and a group that replaced one
    ///   with an evaluation in flight waits for that evaluation's result before it evaluates.
    /// - Returns: What the evaluation did, or `nil` when the group did not evaluate for one of
    ///   those reasons.
    @discardableResult
    public func evaluate(at time: Int64, environment shared: RuleEnvironment) -> Evaluation? {
        let copied: [RuleState]? = self.state.withLock { state in
            guard !state.stopped, !state.unsettled else { return nil }
            state.evaluating = true
            return state.rules
        }
        guard var rules = copied else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        var environment = shared
        environment.storage = EvaluationCache(shared.storage, planned: self.plannedWindows(at: time, engine: shared.engine))
        var evaluation = Evaluation(time: time, durationSeconds: 0)
        for index in rules.indices {
            let ruleStarted = DispatchTime.now().uptimeNanoseconds
            evaluation.rulesEvaluated += 1
            let before = rules[index].alerts
            do {
                let samples = try rules[index].evaluate(at: time, limit: self.definition.limit, environment: environment)
                var written = Set<Labels>(minimumCapacity: samples.count)
                for (labels, value) in samples where environment.storage.append(labels, time, value) {
                    written.insert(labels)
                }
                for gone in rules[index].lastSeries.subtracting(written) { environment.storage.append(gone, time, StaleNaN.value) }
                evaluation.samplesWritten += written.count
                rules[index].lastSeries = written
                rules[index].health = .ok
                rules[index].lastError = nil
            } catch {
                rules[index].health = .err
                rules[index].lastError = "\(error)"
                evaluation.failures.append((rules[index].definition.name, "\(error)"))
            }
            if case .alerting = rules[index].definition.kind, rules[index].alerts != before {
                let transitions = Self.transitions(from: before, to: rules[index].alerts)
                if !(transitions.pending.isEmpty && transitions.firing.isEmpty && transitions.resolved.isEmpty) {
                    evaluation.transitions.append((rules[index].definition.name, transitions))
                }
            }
            rules[index].lastEvaluation = time
            rules[index].evaluationSeconds = Double(DispatchTime.now().uptimeNanoseconds - ruleStarted) / 1e9
        }
        evaluation.durationSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let heirs: [RuleGroup] = self.state.withLock { state in
            state.rules = rules
            state.lastEvaluation = time
            state.lastDurationSeconds = evaluation.durationSeconds
            state.evaluations += 1
            state.evaluating = false
            return state.takeHeirsIfSettled()
        }
        // A reload adopted this group while the evaluation was in flight: its groups get the result.
        for heir in heirs { heir.inherit(rules, lastEvaluation: time, from: self) }
        return evaluation
    }

    /// The widest window each selection is read over by any rule of the group at `time`.
    func plannedWindows(at time: Int64, engine: Engine) -> [String: (from: Int64, to: Int64)] {
        var windows: [String: (from: Int64, to: Int64)] = [:]
        for rule in self.definition.rules {
            for (key, window) in engine.windows(of: rule.expr, at: time) {
                if let known = windows[key] {
                    windows[key] = (min(known.from, window.from), max(known.to, window.to))
                } else {
                    windows[key] = window
                }
            }
        }
        return windows
    }

    static func transitions(from before: AlertSet, to after: AlertSet) -> AlertSet.Transitions {
        var transitions = AlertSet.Transitions()
        for (labels, alert) in after.alerts {
            let previous = before.alerts[labels]?.state
            guard previous != alert.state else { continue }
            switch alert.state {
            case .pending: transitions.pending.append(labels)
            case .firing: transitions.firing.append(labels)
            case .inactive: transitions.resolved.append(labels)
            }
        }
        return transitions
    }

    /// The rules as they stand.
    public var rules: [RuleState] { self.state.withLock { $0.rules } }

    public var lastEvaluation: Int64? { self.state.withLock { $0.lastEvaluation } }
    public var lastDurationSeconds: Double { self.state.withLock { $0.lastDurationSeconds } }

    /// Alerts due to go to Alertmanager at `time`, marked as sent.
    public func alertsDueForSending(at time: Int64, resendDelay: Int64) -> [(rule: RuleDefinition, alerts: [Alert])] {
        self.state.withLock { state in
            var out: [(RuleDefinition, [Alert])] = []
            for index in state.rules.indices {
                guard case .alerting = state.rules[index].definition.kind else { continue }
                let due = state.rules[index].alerts.dueForSending(at: time, resendDelay: resendDelay, interval: self.interval)
                if !due.isEmpty { out.append((state.rules[index].definition, due)) }
            }
            return out.map { (rule: $0.0, alerts: $0.1) }
        }
    }

    /// Takes over the state of every rule of `old` whose definition is unchanged (a reload keeps
    /// pending and firing alerts of rules that did not change), and stops `old`.
    ///
    /// No evaluation is lost to a reload: when an evaluation of `old` is in flight, this group takes
    /// the rules as they stand and, when that evaluation writes back, its result; it does not
    /// evaluate before then (Prometheus stops the old group before the new one copies its state).
    /// - Important: Call it before this group is first evaluated.
    public func adopt(_ old: RuleGroup) {
        guard old !== self else { return }
        let matches = self.matches(in: old)
        // Locks nest old group first: a group only ever adopts groups made before it. Taking this
        // group's lock inside the old one's means a handoff cannot arrive before the copy is in.
        old.state.withLock { previous in
            previous.stopped = true
            let unsettled = previous.unsettled
            if unsettled { previous.heirs.append(self) }
            let rules = previous.rules
            let lastEvaluation = previous.lastEvaluation
            self.state.withLock { state in
                for (mine, theirs) in matches { state.rules[mine] = rules[theirs] }
                state.lastEvaluation = lastEvaluation
                if unsettled { state.pendingHandoffs += 1 }
            }
        }
    }

    /// Stops the group: no evaluation of it starts any more (one in flight finishes). A reload
    /// stops the groups it removes; ``adopt(_:)`` stops the groups it replaces.
    public func stop() {
        self.state.withLock { $0.stopped = true }
    }

    /// Takes what an evaluation of `old` wrote back after this group adopted it, and hands the
    /// rules on to the groups that adopted this one meanwhile.
    private func inherit(_ rules: [RuleState], lastEvaluation: Int64?, from old: RuleGroup) {
        let matches = self.matches(in: old)
        let (settled, last, heirs): ([RuleState], Int64?, [RuleGroup]) = self.state.withLock { state in
            for (mine, theirs) in matches { state.rules[mine] = rules[theirs] }
            state.lastEvaluation = lastEvaluation
            state.pendingHandoffs -= 1
            return (state.rules, state.lastEvaluation, state.takeHeirsIfSettled())
        }
        for heir in heirs { heir.inherit(settled, lastEvaluation: last, from: self) }
    }

    /// For each rule of this group whose definition `old` has too, its index here and in `old`
    /// (the rules' states are kept in the order of the definitions). A definition that appears
    /// twice in `old` is matched once.
    private func matches(in old: RuleGroup) -> [(mine: Int, theirs: Int)] {
        var byFingerprint: [String: Int] = [:]
        for (index, rule) in old.definition.rules.enumerated() { byFingerprint[rule.fingerprint] = index }
        var matches: [(mine: Int, theirs: Int)] = []
        for (index, rule) in self.definition.rules.enumerated() {
            if let theirs = byFingerprint.removeValue(forKey: rule.fingerprint) { matches.append((mine: index, theirs: theirs)) }
        }
        return matches
    }

    /// Restores alerts' `for` progress after a restart (see ``AlertStateFile``).
    public func restore(_ apply: (String, inout AlertSet) -> Void) {
        self.state.withLock { state in
            for index in state.rules.indices { apply(state.rules[index].definition.fingerprint, &state.rules[index].alerts) }
        }
    }
}
