import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterNotifier
import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Loads the rule files, evaluates every group at its interval against the time-series head, sends
/// alerts to the notifier, keeps alert state across restarts, and reloads on SIGHUP or
/// `POST /-/reload` (rules whose definition did not change keep their alerts).
public final class RuleManager: Service, RuleSource, Sendable {
    struct Sources: Sendable {
        var builtin: Bool
        var patterns: [String]
        /// Relative patterns are read from here (the configuration file's directory).
        var baseDirectory: String
        var defaultInterval: Int64
    }

    let sources: Sources
    let environment: RuleEnvironment
    let notifier: Notifier?
    let resendDelay: Int64
    let stateFile: AlertStateFile
    let metrics: RuleMetrics
    let steering: SteeringFeed?
    /// Whether this process sends the alerts (in a cluster, the leader alone).
    let leadership: Leadership
    let logger: Logger
    private let groups = Mutex<[RuleGroup]>([])

    init(
        sources: Sources, environment: RuleEnvironment, notifier: Notifier?, resendDelay: Duration, stateFile: AlertStateFile, metrics: RuleMetrics,
        steering: SteeringFeed? = nil, leadership: Leadership = .alone(), logger: Logger
    ) {
        self.steering = steering
        self.leadership = leadership
        self.sources = sources
        self.environment = environment
        self.notifier = notifier
        self.resendDelay = resendDelay.wholeMilliseconds
        self.stateFile = stateFile
        self.metrics = metrics
        self.logger = logger
    }

    /// The groups in force.
    public var currentGroups: [RuleGroup] { self.groups.withLock { $0 } }

    /// Reads every rule file; on success the new groups replace the old, keeping the state of
    /// unchanged rules. On failure nothing changes.
    /// - Returns: The number of rules loaded.
    /// - Throws: ``RuleLoadError`` listing every problem with its file and line.
    @discardableResult
    public func reload() throws(RuleLoadError) -> Int {
        let fresh: [RuleGroup]
        do {
            fresh = try self.readGroups()
        } catch {
            self.metrics.reloadSuccessful.set(0)
            self.logger.error("loading rule files failed; the rules in force are kept", metadata: ["error": "\(error)"])
            throw error
        }
        let replaced = self.currentGroups
        let previous = Dictionary(replaced.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        // Adopting stops the old group; an evaluation of it in flight hands its result over when done.
        for group in fresh { if let old = previous[group.key] { group.adopt(old) } }
        self.groups.withLock { $0 = fresh }
        // Groups the files no longer have evaluate no more either (the loop may hold them still).
        for group in replaced { group.stop() }
        // Actions of alerts whose rules are gone end now, not at the next evaluation (there may be none).
        self.steering?.update(from: fresh)
        let rules = fresh.reduce(0) { $0 + $1.definition.rules.count }
        self.metrics.loaded(fresh, at: WallClock.nowMilliseconds())
        self.logger.info("rule files loaded", metadata: ["groups": "\(fresh.count)", "rules": "\(rules)"])
        return rules
    }

    /// Loads at start and puts back the alerts saved before the last stop.
    func start() throws(RuleLoadError) {
        try self.reload()
        guard let saved = self.stateFile.load() else { return }
        let downtime = WallClock.nowMilliseconds() - saved.savedAt
        var restored = 0
        for group in self.currentGroups {
            group.restore { fingerprint, alerts in
                guard let list = saved.alerts[fingerprint] else { return }
                alerts.restore(list, downtime: downtime)
                restored += list.count
            }
        }
        if restored > 0 { self.logger.info("alert state restored", metadata: ["alerts": "\(restored)", "downtime_ms": "\(downtime)"]) }
    }

    private func readGroups() throws(RuleLoadError) -> [RuleGroup] {
        var files: [RuleFile] = []
        var problems: [String] = []
        if self.sources.builtin {
            for (name, text) in BuiltinRules.files {
                do { files.append(try RuleFile.parse(text, path: name)) } catch { problems.append(error.description) }
            }
        }
        for pattern in self.sources.patterns {
            let resolved = pattern.hasPrefix("/") ? pattern : (self.sources.baseDirectory as NSString).appendingPathComponent(pattern)
            for path in RuleFileGlob.expand(resolved) {
                do { files.append(try RuleFile.load(path)) } catch { problems.append(error.description) }
            }
        }
        guard problems.isEmpty else { throw RuleLoadError(problems: problems) }
        return files.flatMap { file in file.groups.map { RuleGroup(file: file.path, definition: $0, defaultInterval: self.sources.defaultInterval) } }
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    self.logger.info("SIGHUP: reloading rule files")
                    _ = try? self.reload()
                }
            }
            tasks.addTask { try? await cancelWhenGracefulShutdown { try await self.evaluationLoop() } }
            try await tasks.next()
            tasks.cancelAll()
        }
        try? self.stateFile.save(self.currentGroups, at: WallClock.nowMilliseconds())
    }

    /// Evaluates each group when its interval comes round (on multiples of the interval).
    private func evaluationLoop() async throws {
        var next: [String: Int64] = [:]
        // Once the file says "nothing active", there is nothing to rewrite until an alert is.
        var savedNothing = false
        while !Task.isCancelled {
            let now = WallClock.nowMilliseconds()
            var wake = now + 1000
            for group in self.currentGroups {
                var due = next[group.key] ?? Self.ceil(now, group.interval)
                if due <= now {
                    var missed = 0
                    while due + group.interval <= now {
                        due += group.interval
                        missed += 1
                    }
                    // A group a reload has just replaced does not evaluate: the one that replaced
                    // it (same key) takes this round on the next pass.
                    if self.evaluate(group, at: due, missed: missed) { due += group.interval }
                }
                next[group.key] = due
                wake = min(wake, due)
            }
            let groups = self.currentGroups
            let anyActive = groups.contains { $0.rules.contains { $0.alerts.alerts.values.contains { $0.state != .inactive } } }
            if anyActive || !savedNothing {
                try? self.stateFile.save(groups, at: WallClock.nowMilliseconds())
                savedNothing = !anyActive
            }
            let pause = max(10, wake - WallClock.nowMilliseconds())
            try await Task.sleep(for: .milliseconds(pause))
        }
    }

    static func ceil(_ value: Int64, _ step: Int64) -> Int64 { (value + step - 1) / step * step }

    /// Evaluates `group` at `time`, then logs, counts and sends what it did.
    /// - Returns: Whether the group evaluated (one that a reload stopped does not).
    @discardableResult
    func evaluate(_ group: RuleGroup, at time: Int64, missed: Int) -> Bool {
        guard let evaluation = group.evaluate(at: time, environment: self.environment) else { return false }
        self.metrics.evaluated(group, evaluation, missed: missed)
        for failure in evaluation.failures {
            self.logger.warning("rule evaluation failed", metadata: ["group": "\(group.name)", "rule": "\(failure.rule)", "error": "\(failure.error)"])
        }
        self.steering?.update(from: self.currentGroups)
        for (rule, transitions) in evaluation.transitions {
            for labels in transitions.pending { self.logger.info("alert pending", metadata: ["rule": "\(rule)", "labels": "\(labels)"]) }
            for labels in transitions.firing { self.logger.notice("alert firing", metadata: ["rule": "\(rule)", "labels": "\(labels)"]) }
            for labels in transitions.resolved { self.logger.info("alert resolved", metadata: ["rule": "\(rule)", "labels": "\(labels)"]) }
        }
        // In a cluster only the leader notifies; a replica that takes over sends every firing alert at once.
        guard let notifier = self.notifier, self.leadership.leads else { return true }
        var outgoing: [NotifierAlert] = []
        for (rule, alerts) in group.alertsDueForSending(at: time, resendDelay: self.resendDelay) {
            let link = self.generatorURL(rule.exprText)
            for alert in alerts {
                // External labels go to Alertmanager too, unless the alert has its own value (as Prometheus's notifier does).
                var labels = self.environment.externalLabels
                for pair in alert.labels.pairs { labels[pair.name] = pair.value }
                outgoing.append(NotifierAlert(
                    labels: labels, annotations: alert.annotations,
                    startsAt: alert.firedAt ?? alert.activeAt, endsAt: alert.resolvedAt ?? alert.validUntil ?? time, generatorURL: link))
            }
        }
        notifier.send(outgoing)
        return true
    }

    /// A link to the expression in the query UI of `rules.external_url`.
    func generatorURL(_ expr: String) -> String {
        let encoded = expr.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return self.environment.externalURL + "/graph?g0.expr=" + encoded + "&g0.tab=1"
    }
}
