import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterRedis
import Foundation
import Logging
import ServiceLifecycle

/// Cluster mode's use of Redis, which holds nothing that matters alone:
/// - **Presence:** every ``announceInterval`` this replica writes what it is (address, version,
///   start, whether it leads, the workers it holds) under `arbiter:replica:<id>`, expiring after
///   ``presenceTTL``; `GET /api/v1/cluster` reads every replica's entry.
/// - **Fan-out:** cancel notices posted here for workers are published on `arbiter:cancel`; every
///   replica keeps those for the workers connected to it and wakes their connections.
///
/// Redis down: presence shows this replica alone (coordination `unreachable`) and notices for
/// workers on other replicas wait for the worker's next report, which the store refuses
/// (`job_cancelled`); nothing is lost, and both come back by themselves with Redis.
final class ClusterCoordinator: Service, ClusterView {
    static let channel = "arbiter:cancel"
    static let keyPrefix = "arbiter:replica:"
    let announceInterval = Duration.seconds(2)
    let presenceTTL = Duration.seconds(10)

    private let client: RedisClient
    private let subscriber: RedisSubscriber
    private let local: LocalClusterView
    private let coordination: LocalCoordination
    private let metrics: ClusterMetrics
    private let logger: Logger
    private let failures = FailureStreak()

    init(configuration: RedisConfiguration, local: LocalClusterView, coordination: LocalCoordination, metrics: ClusterMetrics, logger: Logger) {
        let observer = RedisMetrics(metrics: metrics)
        self.client = RedisClient(configuration: configuration, observer: observer)
        self.local = local
        self.coordination = coordination
        self.metrics = metrics
        self.logger = logger
        let replicaID = local.replicaID
        self.subscriber = RedisSubscriber(configuration: configuration, channels: [Self.channel], observer: observer) { event in
            guard case .message(_, let payload) = event, let message = CancelFanOut.decode(payload), message.from != replicaID else { return }
            let delivered = coordination.receiveCancelNotices(message.notices)
            try? metrics.fanOut.labels("received").increment(by: message.notices.count)
            if delivered > 0 { try? metrics.fanOut.labels("delivered").increment(by: delivered) }
        }
    }

    func run() async throws {
        let client = self.client
        let replicaID = self.local.replicaID
        let metrics = self.metrics
        self.coordination.relayCancelNotices { notices in
            guard !notices.isEmpty else { return }
            let payload = CancelFanOut.encode(from: replicaID, notices)
            Task {
                _ = try? await client.command(["PUBLISH", Self.channel, payload])
                try? metrics.fanOut.labels("sent").increment(by: notices.count)
            }
        }
        self.subscriber.start()
        while true {
            await self.announce()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.announceInterval) }
            } catch {
                break
            }
        }
        _ = try? await self.client.command(["DEL", Self.keyPrefix + replicaID])
        await self.subscriber.stop()
        await self.client.close()
    }

    /// Writes this replica's entry.
    func announce() async {
        let replica = self.local.replica(at: WallClock.nowMilliseconds())
        do {
            _ = try await self.client.command([
                "SET", Self.keyPrefix + replica.id, PresenceEntry.encode(replica), "PX", String(self.presenceTTL.wholeMilliseconds),
            ])
            let failed = self.failures.succeeded()
            if failed > 0 { self.logger.notice("Redis reachable again: presence and fan-out restored", metadata: ["failed_announcements": "\(failed)"]) }
        } catch {
            if let count = self.failures.failed() {
                self.logger.error(
                    "cannot reach Redis: presence and fan-out degraded, the store carries on", metadata: ["error": "\(error)", "failed_in_a_row": "\(count)"])
            }
        }
    }

    func snapshot() async -> ClusterSnapshot {
        var snapshot = await self.local.snapshot()
        do {
            var keys: [String] = []
            var cursor = "0"
            repeat {
                let page = try await self.client.command(["SCAN", cursor, "MATCH", Self.keyPrefix + "*", "COUNT", "100"]).array ?? []
                cursor = page.first?.string ?? "0"
                keys += (page.count > 1 ? page[1].array ?? [] : []).compactMap(\.string)
            } while cursor != "0"
            let entries = keys.isEmpty ? [] : (try await self.client.command(["MGET"] + keys).array ?? [])
            let replicas = entries.compactMap { $0.string.flatMap(PresenceEntry.decode) }
            // This replica as it is now, the others as they last said.
            snapshot.replicas = replicas.filter { $0.id != snapshot.replicaID } + snapshot.replicas
            snapshot.coordination = "ok"
        } catch {
            snapshot.coordination = "unreachable"
        }
        return snapshot
    }
}

/// A replica's presence entry, as JSON.
enum PresenceEntry {
    static func encode(_ replica: ClusterSnapshot.Replica) -> String {
        let object: [String: Any] = [
            "id": replica.id, "address": replica.address, "version": replica.version, "started_at": replica.startedAt, "seen_at": replica.seenAt,
            "leader": replica.leads, "workers": replica.workers,
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> ClusterSnapshot.Replica? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let id = object["id"] as? String else { return nil }
        return ClusterSnapshot.Replica(
            id: id, address: object["address"] as? String ?? "", version: object["version"] as? String ?? "",
            startedAt: (object["started_at"] as? NSNumber)?.int64Value ?? 0, seenAt: (object["seen_at"] as? NSNumber)?.int64Value ?? 0,
            leads: object["leader"] as? Bool ?? false, workers: object["workers"] as? [String] ?? [])
    }
}

/// Cancel notices on `arbiter:cancel`, as JSON: who posted them, and each notice with its worker.
enum CancelFanOut {
    static func encode(from replicaID: String, _ notices: [(workerID: String, notice: CancelNotice)]) -> String {
        let object: [String: Any] = [
            "from": replicaID,
            "notices": notices.map { ["worker_id": $0.workerID, "job_id": $0.notice.jobID, "reason": $0.notice.reason, "lease_token": $0.notice.leaseToken] },
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> (from: String, notices: [(workerID: String, notice: CancelNotice)])? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let from = object["from"] as? String,
            let items = object["notices"] as? [[String: Any]]
        else { return nil }
        let notices = items.compactMap { item -> (workerID: String, notice: CancelNotice)? in
            guard let worker = item["worker_id"] as? String, let job = item["job_id"] as? String, let token = (item["lease_token"] as? NSNumber)?.int64Value
            else { return nil }
            return (worker, CancelNotice(jobID: job, reason: item["reason"] as? String ?? "", leaseToken: token))
        }
        return (from, notices)
    }
}
