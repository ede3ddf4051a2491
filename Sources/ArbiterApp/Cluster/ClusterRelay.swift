import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterRedis
import Foundation
import Synchronization

/// What happens on this replica that the others must hear, published on Redis channels, and what
/// they publish, applied here:
/// - `arbiter:cancel`: cancel notices, kept by the replica that holds the worker;
/// - `arbiter:work`: a slot under a concurrency cap freed, so every replica's dispatch loops look;
/// - `arbiter:auth`: failed and successful authentications, so an address is locked out everywhere;
/// - `arbiter:tokens`: revoked tokens, forgotten by every replica's token cache.
///
/// A message lost (Redis down) costs what the store repairs: a cancel reaches the worker at its next
/// report, a freed slot is seen at the next poll (1 s), a revoked token is refused once its cache
/// entry ends (5 s); failures counted while Redis was down count only on their own replica.
final class ClusterRelay: CoordinationRelay {
    static let cancel = "arbiter:cancel", work = "arbiter:work", auth = "arbiter:auth", tokens = "arbiter:tokens"
    static let channels = [cancel, work, auth, tokens]

    private let publisher: RedisPublisher
    private let replicaID: String
    private let metrics: ClusterMetrics
    /// Whether a freed-capacity message is on its way, and whether another slot freed since it left:
    /// one message at a time, and one more after it for all the slots that freed meanwhile.
    private let capacity = Mutex((inFlight: false, again: false))

    init(publisher: RedisPublisher, replicaID: String, metrics: ClusterMetrics) {
        self.publisher = publisher
        self.replicaID = replicaID
        self.metrics = metrics
    }

    // MARK: Sending

    func cancelNotices(_ notices: [(workerID: String, notice: CancelNotice)]) {
        guard !notices.isEmpty else { return }
        self.publish(Self.cancel, CancelFanOut.encode(from: self.replicaID, notices)) { metrics in
            try? metrics.fanOut.labels("sent").increment(by: notices.count)
        }
    }

    func capacityFreed() {
        // Many attempts end at once under load: one message says it for all that end before it is out.
        let send = self.capacity.withLock { state in
            if state.inFlight { state.again = true }
            defer { state.inFlight = true }
            return !state.inFlight
        }
        guard send else { return }
        self.publish(Self.work, self.event("capacity_freed", [:])) { [self] _ in
            let more = self.capacity.withLock { state in
                defer { state = (state.again, false) }
                return state.again
            }
            if more { self.sendCapacityFreedAgain() }
        }
    }

    private func sendCapacityFreedAgain() {
        self.capacity.withLock { $0 = (false, false) }
        self.capacityFreed()
    }

    func authFailure(address: String, policy: AuthLockout.Policy) {
        self.publish(
            Self.auth,
            self.event(
                "auth_failure",
                [
                    "address": address, "failures": policy.failures, "window_ms": policy.window.wholeMilliseconds,
                    "duration_ms": policy.duration.wholeMilliseconds,
                ]))
    }

    func authSuccess(address: String) {
        self.publish(Self.auth, self.event("auth_success", ["address": address]))
    }

    func tokenRevoked(id: String) {
        self.publish(Self.tokens, self.event("token_revoked", ["token_id": id]))
    }

    private func event(_ name: String, _ fields: [String: Any]) -> String {
        try? self.metrics.relayed.labels(name, "sent").increment()
        return ClusterEvent.encode(from: self.replicaID, event: name, fields)
    }

    private func publish(_ channel: String, _ payload: String, then done: (@Sendable (ClusterMetrics) -> Void)? = nil) {
        let metrics = self.metrics
        self.publisher.publish(channel, payload) { done?(metrics) }
    }

    // MARK: Receiving

    /// Applies a message another replica published (this replica's own are ignored).
    static func receive(
        channel: String, payload: String, replicaID: String, coordination: LocalCoordination, clock: any TimeSource, metrics: ClusterMetrics
    ) {
        if channel == Self.cancel {
            guard let message = CancelFanOut.decode(payload), message.from != replicaID else { return }
            let delivered = coordination.receiveCancelNotices(message.notices)
            try? metrics.fanOut.labels("received").increment(by: message.notices.count)
            if delivered > 0 { try? metrics.fanOut.labels("delivered").increment(by: delivered) }
            return
        }
        guard let event = ClusterEvent.decode(payload), event.from != replicaID else { return }
        switch event.name {
        case "capacity_freed":
            coordination.announceWork()
        case "auth_failure":
            guard let address = event.fields["address"] as? String, let failures = (event.fields["failures"] as? NSNumber)?.intValue,
                let window = (event.fields["window_ms"] as? NSNumber)?.int64Value, let duration = (event.fields["duration_ms"] as? NSNumber)?.int64Value
            else { return }
            coordination.receiveAuthFailure(
                address: address, policy: .init(failures: failures, window: .milliseconds(window), duration: .milliseconds(duration)),
                now: clock.monotonicMilliseconds())
        case "auth_success":
            guard let address = event.fields["address"] as? String else { return }
            coordination.receiveAuthSuccess(address: address)
        case "token_revoked":
            guard let id = event.fields["token_id"] as? String else { return }
            coordination.receiveTokenRevoked(id: id)
        default:
            return
        }
        try? metrics.relayed.labels(event.name, "received").increment()
    }
}
