import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterPostgres
import Logging
import ServiceLifecycle

/// Cluster mode's election: once a second, takes the PostgreSQL leader lock if nobody holds it, or
/// checks that this replica still does, and tells ``Leadership``. A replica that cannot reach the
/// database stops leading at once. At shutdown the lock is given up, so another replica leads within
/// a second instead of waiting for anything to time out.
///
/// Why PostgreSQL and not a Redis lease: the lock lives exactly as long as the holder's connection,
/// so a crashed leader is replaced at the next poll (no lease to run out), and leadership does not
/// depend on Redis, whose loss must only degrade coordination; without PostgreSQL nothing runs anyway.
struct LeaderElection: Service {
    let lock: PostgresLeaderLock
    let leadership: Leadership
    let replicaID: String
    let interval: Duration
    let metrics: ClusterMetrics
    let logger: Logger

    func run() async throws {
        while true {
            await self.poll()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                break
            }
        }
        self.leadership.update(.init(leads: false, epoch: self.leadership.current.epoch, leader: nil))
        await self.lock.close()
        self.metrics.leads.set(0)
        self.logger.notice("stepped down at shutdown", metadata: ["replica_id": "\(self.replicaID)"])
    }

    func poll() async {
        let state: Leadership.State
        switch await self.lock.poll(now: WallClock.nowMilliseconds()) {
        case .leader(let epoch):
            state = .init(leads: true, epoch: epoch, leader: self.replicaID)
        case .follower(let leader, let epoch):
            state = .init(leads: false, epoch: epoch, leader: leader)
        case .unknown(let reason):
            state = .init(leads: false, epoch: self.leadership.current.epoch, leader: nil)
            if self.leadership.leads {
                self.logger.error("cannot confirm the leader lock; stepping down", metadata: ["error": "\(reason)"])
            }
        }
        guard let before = self.leadership.update(state) else { return }
        self.metrics.leads.set(state.leads ? 1 : 0)
        if let epoch = state.epoch { self.metrics.epoch.set(Double(epoch)) }
        if state.leads {
            try? self.metrics.changes.labels("elected").increment()
            self.logger.notice("elected leader", metadata: ["replica_id": "\(self.replicaID)", "epoch": "\(state.epoch ?? 0)"])
        } else if before.leads {
            try? self.metrics.changes.labels("deposed").increment()
            self.logger.warning("no longer the leader", metadata: ["replica_id": "\(self.replicaID)", "leader": "\(state.leader ?? "unknown")"])
        }
    }
}
