import ArbiterJobs
import ArbiterRedis
import Foundation
import Logging
import Synchronization

/// The steering board across replicas, on `arbiter:steering`: the leader's rule activations (also
/// kept under `arbiter:steering:rules`, which a replica reads when it starts), the Alertmanager
/// notifications, breaker overrides and silences any replica receives, and the ends of attempts
/// that may be another replica's half-open probes. Every replica applies them to
/// its own board, so every replica obeys the same actions; only the replica where a change was made
/// audits it.
///
/// A replica that does not lead mirrors the leader's rule activations and ignores its own rules'
/// (it evaluates them, so that on taking over its alerts are already firing and an open breaker
/// stays open). Redis down: each replica keeps the board it has; the leader's new decisions reach
/// the others when Redis is back (its next evaluation publishes them again).
final class ClusterSteering: SteeringRelay {
    static let channel = "arbiter:steering"
    static let rulesKey = "arbiter:steering:rules"

    private let client: RedisClient
    private let publisher: RedisPublisher
    private let replicaID: String
    private let state: SteeringState
    private let leadership: Leadership
    private let logger: Logger
    /// The newest leader's term heard: rules from an older one (a deposed leader's last words) are dropped.
    private let newestEpoch = Mutex<Int64>(0)

    init(client: RedisClient, publisher: RedisPublisher, replicaID: String, state: SteeringState, leadership: Leadership, logger: Logger) {
        self.client = client
        self.publisher = publisher
        self.replicaID = replicaID
        self.state = state
        self.leadership = leadership
        self.logger = logger
    }

    // MARK: Sending

    func rulesDecided(_ activations: [SteeringBoard.Activation]) {
        let epoch = self.leadership.current.epoch ?? 0
        let payload = Self.message(from: self.replicaID, "rules", ["epoch": epoch, "activations": activations.map(SteeringCoding.encode)])
        // Kept for replicas that start later, then announced to those running (in that order, so
        // that a replica starting meanwhile reads it or hears it).
        self.publisher.write(["SET", Self.rulesKey, payload])
        self.publisher.publish(Self.channel, payload)
    }

    func externalApplied(firing: [SteeringBoard.Activation], resolved: Set<SteeringBoard.Driver>) {
        self.publisher.publish(
            Self.channel,
            Self.message(
                from: self.replicaID, "external",
                ["firing": firing.map(SteeringCoding.encode), "resolved": resolved.map(SteeringCoding.encode)]))
    }

    func overridden(jobType: String, _ override: CircuitBreaker.Override?) {
        self.publisher.publish(
            Self.channel, Self.message(from: self.replicaID, "override", ["job_type": jobType, "override": SteeringCoding.encode(override)]))
    }

    func silenced(_ key: SteeringBoard.Key, until: Int64?) {
        self.publisher.publish(
            Self.channel, Self.message(from: self.replicaID, "silence", ["key": SteeringCoding.encode(key), "until": until.map { $0 as Any } ?? NSNull()]))
    }

    func attemptEnded(jobID: String, outcome: AttemptOutcome) {
        self.publisher.publish(Self.channel, Self.message(from: self.replicaID, "attempt_ended", ["job_id": jobID, "outcome": outcome.rawValue]))
    }

    private static func message(from replicaID: String, _ event: String, _ fields: [String: Any]) -> String {
        ClusterEvent.encode(from: replicaID, event: event, fields)
    }

    // MARK: Receiving

    /// Mirrors the leader's last rule activations (when this replica starts, if it does not lead).
    func load() async {
        guard let payload = try? await self.client.command(["GET", Self.rulesKey]).string else { return }
        self.receive(payload)
    }

    /// Applies a change another replica published (this replica's own are ignored).
    func receive(_ payload: String) {
        guard let event = ClusterEvent.decode(payload), event.from != self.replicaID else { return }
        switch event.name {
        case "rules":
            // A replica that leads decides for itself; a deposed leader's last word does not count.
            guard !self.leadership.leads else { return }
            let epoch = (event.fields["epoch"] as? NSNumber)?.int64Value ?? 0
            let current = self.newestEpoch.withLock { newest in
                defer { newest = max(newest, epoch) }
                return epoch >= newest
            }
            guard current else { return }
            self.state.mirrorRules(SteeringCoding.activations(event.fields["activations"]))
        case "external":
            let resolved = (event.fields["resolved"] as? [[String: Any]] ?? []).compactMap(SteeringCoding.driver)
            self.state.mirrorExternal(firing: SteeringCoding.activations(event.fields["firing"]), resolved: Set(resolved))
        case "override":
            guard let type = event.fields["job_type"] as? String else { return }
            self.state.mirrorOverride(jobType: type, SteeringCoding.override(event.fields["override"]))
        case "silence":
            guard let key = SteeringCoding.key(event.fields["key"]) else { return }
            self.state.mirrorSilence(key, until: (event.fields["until"] as? NSNumber)?.int64Value)
        case "attempt_ended":
            guard let id = event.fields["job_id"] as? String, let outcome = (event.fields["outcome"] as? String).flatMap(AttemptOutcome.init(rawValue:))
            else { return }
            self.state.mirrorAttemptEnded(jobID: id, outcome: outcome)
        default:
            self.logger.debug("unknown steering message", metadata: ["event": "\(event.name)"])
        }
    }
}

/// The steering board's values as JSON objects, for messages between replicas.
enum SteeringCoding {
    static func encode(_ activation: SteeringBoard.Activation) -> [String: Any] {
        var object = self.encode(activation.driver)
        object["alert"] = activation.alertName
        object["labels"] = activation.labels
        object["value"] = activation.value ?? NSNull()
        return object
    }

    static func encode(_ driver: SteeringBoard.Driver) -> [String: Any] {
        switch driver {
        case .rule(let id): ["driver": "rule", "id": id]
        case .external(let id): ["driver": "external", "id": id]
        }
    }

    static func driver(_ object: [String: Any]) -> SteeringBoard.Driver? {
        guard let id = object["id"] as? String else { return nil }
        switch object["driver"] as? String {
        case "rule": return .rule(id)
        case "external": return .external(id)
        default: return nil
        }
    }

    /// The activations in a message; one whose labels no longer make an action is left out.
    static func activations(_ value: Any?) -> [SteeringBoard.Activation] {
        (value as? [[String: Any]] ?? []).compactMap { object in
            guard let driver = self.driver(object), let labels = object["labels"] as? [String: String],
                let action = try? SteeringAction(alertLabels: labels)
            else { return nil }
            return SteeringBoard.Activation(
                action: action, driver: driver, alertName: object["alert"] as? String ?? "", labels: labels,
                value: (object["value"] as? NSNumber)?.doubleValue)
        }
    }

    static func encode(_ key: SteeringBoard.Key) -> [String: Any] {
        var object: [String: Any] = ["kind": key.kind.rawValue]
        switch key.target {
        case .jobType(let name): object["job_type"] = name
        case .worker(let id): object["worker_id"] = id
        case .everyType: object["all"] = true
        }
        return object
    }

    static func key(_ value: Any?) -> SteeringBoard.Key? {
        guard let object = value as? [String: Any], let kind = (object["kind"] as? String).flatMap(SteeringAction.Kind.init(rawValue:)) else { return nil }
        if let name = object["job_type"] as? String { return .init(kind: kind, target: .jobType(name)) }
        if let id = object["worker_id"] as? String { return .init(kind: kind, target: .worker(id)) }
        return object["all"] as? Bool == true ? .init(kind: kind, target: .everyType) : nil
    }

    static func encode(_ override: CircuitBreaker.Override?) -> Any {
        switch override {
        case .forceOpen(let until): ["force": "open", "until": until.map { $0 as Any } ?? NSNull()]
        case .forceClose(let until): ["force": "close", "until": until.map { $0 as Any } ?? NSNull()]
        case nil: NSNull()
        }
    }

    static func override(_ value: Any?) -> CircuitBreaker.Override? {
        guard let object = value as? [String: Any] else { return nil }
        let until = (object["until"] as? NSNumber)?.int64Value
        switch object["force"] as? String {
        case "open": return .forceOpen(until: until)
        case "close": return .forceClose(until: until)
        default: return nil
        }
    }
}
