import ArbiterCore
import Foundation
import Hummingbird

/// What `GET /api/v1/cluster` shows: the replicas that announced themselves, which leads, and which
/// holds each worker's connection.
public struct ClusterSnapshot: Sendable {
    /// One replica, as it last announced itself.
    public struct Replica: Sendable {
        public var id: String
        /// Where it serves (its listen address).
        public var address: String
        public var version: String
        /// Unix ms.
        public var startedAt: Int64
        /// Unix ms of its last announcement.
        public var seenAt: Int64
        public var leads: Bool
        /// The workers whose connection it holds.
        public var workers: [String]

        public init(id: String, address: String, version: String, startedAt: Int64, seenAt: Int64, leads: Bool, workers: [String]) {
            self.id = id
            self.address = address
            self.version = version
            self.startedAt = startedAt
            self.seenAt = seenAt
            self.leads = leads
            self.workers = workers
        }
    }

    /// Whether this process runs in cluster mode.
    public var clustered: Bool
    /// The replica that answered.
    public var replicaID: String
    /// The leader and its term, as the answering replica last learned them.
    public var leader: String?
    public var epoch: Int64?
    /// `local` (alone), `ok`, or `unreachable` (Redis cannot be reached: `replicas` is this one only).
    public var coordination: String
    public var replicas: [Replica]

    public init(clustered: Bool, replicaID: String, leader: String?, epoch: Int64?, coordination: String, replicas: [Replica]) {
        self.clustered = clustered
        self.replicaID = replicaID
        self.leader = leader
        self.epoch = epoch
        self.coordination = coordination
        self.replicas = replicas
    }
}

/// Where the cluster's state comes from: this process alone, or the replicas' announcements.
public protocol ClusterView: Sendable {
    func snapshot() async -> ClusterSnapshot
}

/// `GET /api/v1/cluster`.
struct ClusterEndpoints: Sendable {
    let view: any ClusterView

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/api/v1/cluster") { _, _ in try await self.get() }
    }

    private func get() async throws -> Response {
        let snapshot = await self.view.snapshot()
        return try APIRequest.json(.ok, [
            "clustered": snapshot.clustered, "replica_id": snapshot.replicaID, "leader": snapshot.leader ?? NSNull(),
            "epoch": snapshot.epoch.map { $0 as Any } ?? NSNull(), "coordination": snapshot.coordination,
            "replicas": snapshot.replicas.sorted { $0.id < $1.id }.map { replica -> [String: Any] in
                [
                    "id": replica.id, "address": replica.address, "version": replica.version,
                    "started_at": RFC3339.format(milliseconds: replica.startedAt), "seen_at": RFC3339.format(milliseconds: replica.seenAt),
                    "leader": replica.leads, "workers": replica.workers.sorted(),
                ]
            },
        ])
    }
}
