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
    @discardableResult
    public func evaluate(at time: Int64, environment shared: RuleEnvironment) -> Evaluation {
        let started = DispatchTime.now().uptimeNanoseconds
        var environment = shared
        environment.storage = EvaluationCache(shared.storage, planned: self.plannedWindows(at: time, engine: shared.engine))
        var rules = self.state.withLock { $0.rules }
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
        self.state.withLock { state in
            state.rules = rules
            state.lastEvaluation = time
            state.lastDurationSeconds = evaluation.durationSeconds
            state.evaluations += 1
        }
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
    /// pending and firing alerts of rules that did not change).
    public func adopt(_ old: RuleGroup) {
        let previous = old.state.withLock { $0.rules }
        var byFingerprint: [String: RuleState] = [:]
        for rule in previous { byFingerprint[rule.definition.fingerprint] = rule }
        self.state.withLock { state in
            for index in state.rules.indices {
                if let kept = byFingerprint.removeValue(forKey: state.rules[index].definition.fingerprint) { state.rules[index] = kept }
            }
            state.lastEvaluation = old.lastEvaluation
        }
    }

    /// Restores alerts' `for` progress after a restart (see ``AlertStateFile``).
    public func restore(_ apply: (String, inout AlertSet) -> Void) {
        self.state.withLock { state in
            for index in state.rules.indices { apply(state.rules[index].definition.fingerprint, &state.rules[index].alerts) }
        }
    }
}
