import ArbiterCore
import ArbiterHTTP
import ArbiterJobs

/// This replica as `GET /api/v1/cluster` shows it: its id, address, version and the workers whose
/// connection it holds. Alone, it is the whole cluster; in cluster mode the replicas' announcements
/// (``ClusterPresence``) add the others.
struct LocalClusterView: ClusterView {
    let replicaID: String
    let clustered: Bool
    let startedAt: Int64
    let listener: ListenerHealth
    let coordination: any Coordination
    let leadership: Leadership

    /// This replica now.
    func replica(at now: Int64) -> ClusterSnapshot.Replica {
        ClusterSnapshot.Replica(
            id: self.replicaID, address: self.listener.address ?? "", version: ArbiterVersion.version, startedAt: self.startedAt, seenAt: now,
            leads: self.leadership.leads, workers: self.coordination.pushTargets().map(\.workerID).sorted())
    }

    func snapshot() async -> ClusterSnapshot {
        let state = self.leadership.current
        return ClusterSnapshot(
            clustered: self.clustered, replicaID: self.replicaID, leader: self.clustered ? state.leader : self.replicaID, epoch: state.epoch,
            coordination: self.clustered ? "unreachable" : "local", replicas: [self.replica(at: WallClock.nowMilliseconds())])
    }
}
