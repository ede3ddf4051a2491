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
/// - **Fan-out:** cancel notices, freed capacity, authentications and token revocations go to every
///   replica (``ClusterRelay``).
/// - **Global rate limits:** starts of rate-limited types come from buckets in Redis (``ClusterRateLimits``).
///
/// Redis down: presence shows this replica alone (coordination `unreachable`), fan-out waits for what
/// the store repairs (a cancelled job's worker learns at its next report, which the store refuses
/// with `job_cancelled`), and each replica starts rate-limited types at its share of the rate;
/// nothing is lost, and all of it comes back by itself with Redis.
final class ClusterCoordinator: Service, ClusterView {
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
    private let rateLimits: ClusterRateLimits
    private let relay: ClusterRelay

    init(configuration: RedisConfiguration, local: LocalClusterView, coordination: LocalCoordination, metrics: ClusterMetrics, logger: Logger) {
        let observer = RedisMetrics(metrics: metrics)
        self.client = RedisClient(configuration: configuration, observer: observer)
        self.local = local
        self.coordination = coordination
        self.metrics = metrics
        self.logger = logger
        self.rateLimits = ClusterRateLimits(client: self.client, clock: SystemClock(), metrics: metrics, logger: logger) {
            coordination.announceWork()
        }
        // Before any dispatch loop runs: every start of a rate-limited type comes from the shared buckets.
        coordination.sharePermits(self.rateLimits)
        let replicaID = local.replicaID
        self.relay = ClusterRelay(client: self.client, replicaID: replicaID, metrics: metrics)
        let clock = SystemClock()
        self.subscriber = RedisSubscriber(configuration: configuration, channels: ClusterRelay.channels, observer: observer) { event in
            guard case .message(let channel, let payload) = event else { return }
            ClusterRelay.receive(channel: channel, payload: payload, replicaID: replicaID, coordination: coordination, clock: clock, metrics: metrics)
        }
    }

    func run() async throws {
        let replicaID = self.local.replicaID
        self.coordination.relay(to: self.relay)
        self.subscriber.start()
        let fetcher = Task { await self.rateLimits.run() }
        defer { fetcher.cancel() }
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
            if let keys = try? await self.replicaKeys() { self.rateLimits.sharedBy(replicas: keys.count) }
            let failed = self.failures.succeeded()
            if failed > 0 { self.logger.notice("Redis reachable again: presence and fan-out restored", metadata: ["failed_announcements": "\(failed)"]) }
        } catch {
            if let count = self.failures.failed() {
                self.logger.error(
                    "cannot reach Redis: presence and fan-out degraded, the store carries on", metadata: ["error": "\(error)", "failed_in_a_row": "\(count)"])
            }
        }
    }

    /// The presence keys of the replicas alive now.
    private func replicaKeys() async throws(RedisError) -> [String] {
        var keys: [String] = []
        var cursor = "0"
        repeat {
            let page = try await self.client.command(["SCAN", cursor, "MATCH", Self.keyPrefix + "*", "COUNT", "100"]).array ?? []
            cursor = page.first?.string ?? "0"
            keys += (page.count > 1 ? page[1].array ?? [] : []).compactMap(\.string)
        } while cursor != "0"
        return keys
    }

    func snapshot() async -> ClusterSnapshot {
        var snapshot = await self.local.snapshot()
        do {
            let keys = try await self.replicaKeys()
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

