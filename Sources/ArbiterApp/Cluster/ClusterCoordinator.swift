import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterRedis
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Cluster mode's use of Redis, which holds nothing that matters alone:
/// - **Presence:** every ``announceInterval`` this replica writes what it is (address, version,
///   start, whether it leads, the workers it holds) under `arbiter:replica:<id>`, expiring after
///   ``presenceTTL``; `GET /api/v1/cluster` reads every replica's entry.
/// - **Fan-out:** cancel notices, freed capacity, authentications and token revocations go to every
///   replica (``ClusterRelay``).
/// - **Global rate limits:** starts of rate-limited types come from buckets in Redis (``ClusterRateLimits``).
/// - **Steering:** the leader's actions, and the webhook's and operators' on any replica, are obeyed
///   by every replica (``ClusterSteering``).
/// - **Metrics:** every sampling round each replica leaves its registry under `arbiter:metrics:<id>`
///   and reads the others' (``exchange(_:)``), so each samples the whole cluster.
///
/// Redis down: presence shows this replica alone (coordination `unreachable`), fan-out waits for what
/// the store repairs (a cancelled job's worker learns at its next report, which the store refuses
/// with `job_cancelled`), and each replica starts rate-limited types at its share of the rate;
/// nothing is lost, and all of it comes back by itself with Redis.
final class ClusterCoordinator: Service, ClusterView {
    static let keyPrefix = "arbiter:replica:"
    static let metricsPrefix = "arbiter:metrics:"
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
    private let steering: ClusterSteering
    private let publisher: RedisPublisher
    /// The other replicas, as the last presence scan found them.
    private let peers = Mutex<[String]>([])

    init(
        configuration: RedisConfiguration, local: LocalClusterView, coordination: LocalCoordination, leadership: Leadership, metrics: ClusterMetrics,
        logger: Logger
    ) {
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
        coordination.steering.shareThrottles(self.rateLimits)
        let replicaID = local.replicaID
        self.publisher = RedisPublisher(client: self.client)
        self.relay = ClusterRelay(publisher: self.publisher, replicaID: replicaID, metrics: metrics)
        let steering = ClusterSteering(
            client: self.client, publisher: self.publisher, replicaID: replicaID, state: coordination.steering, leadership: leadership, logger: logger)
        self.steering = steering
        let clock = SystemClock()
        self.subscriber = RedisSubscriber(
            configuration: configuration, channels: ClusterRelay.channels + [ClusterSteering.channel], observer: observer
        ) { event in
            guard case .message(let channel, let payload) = event else { return }
            if channel == ClusterSteering.channel { return steering.receive(payload) }
            ClusterRelay.receive(channel: channel, payload: payload, replicaID: replicaID, coordination: coordination, clock: clock, metrics: metrics)
        }
        // Before anything steers: what the drivers decide here reaches every replica.
        coordination.relay(to: self.relay)
        coordination.steering.relay(to: steering)
    }

    func run() async throws {
        let replicaID = self.local.replicaID
        self.subscriber.start()
        let fetcher = Task { await self.rateLimits.run() }
        let sender = Task { await self.publisher.run() }
        defer {
            fetcher.cancel()
            self.publisher.finish()
        }
        await self.steering.load()
        while true {
            await self.announce()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.announceInterval) }
            } catch {
                break
            }
        }
        fetcher.cancel()
        self.publisher.finish()
        await sender.value
        _ = try? await self.client.command(["DEL", Self.keyPrefix + replicaID])
        _ = try? await self.client.command(["DEL", Self.metricsPrefix + replicaID])
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
            if let keys = try? await self.replicaKeys() {
                self.rateLimits.sharedBy(replicas: keys.count)
                let ids = keys.map { String($0.dropFirst(Self.keyPrefix.count)) }
                self.peers.withLock { $0 = ids.filter { $0 != replica.id }.sorted() }
            }
            let failed = self.failures.succeeded()
            if failed > 0 { self.logger.notice("Redis reachable again: presence and fan-out restored", metadata: ["failed_announcements": "\(failed)"]) }
        } catch {
            if let count = self.failures.failed() {
                self.logger.error(
                    "cannot reach Redis: presence and fan-out degraded, the store carries on", metadata: ["error": "\(error)", "failed_in_a_row": "\(count)"])
            }
        }
    }

    /// Leaves this replica's rendered registry for the others (for three sampling rounds) and reads
    /// theirs, in one round trip.
    /// - Returns: The other replicas' registries, by replica id; `nil` when Redis could not be reached.
    func exchange(_ text: [UInt8], keepFor ttl: Duration) async -> [(replica: String, text: [UInt8])]? {
        let peers = self.peers.withLock { $0 }
        var commands = [["SET", Self.metricsPrefix + self.local.replicaID, String(decoding: text, as: UTF8.self), "PX", String(ttl.wholeMilliseconds)]]
        if !peers.isEmpty { commands.append(["MGET"] + peers.map { Self.metricsPrefix + $0 }) }
        guard let replies = try? await self.client.pipeline(commands), replies.count == commands.count, case .success = replies[0] else { return nil }
        guard !peers.isEmpty, case .success(let values) = replies[1] else { return [] }
        return zip(peers, values.array ?? []).compactMap { peer, value in value.string.map { (peer, Array($0.utf8)) } }
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

