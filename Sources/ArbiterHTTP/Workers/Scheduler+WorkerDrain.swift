import ArbiterJobs
import ArbiterWorkerProtocol

extension Scheduler {
    /// The drain the steering board holds on a worker (an alert with `arbiter_action: drain` that
    /// names it), if one is in force: the worker is assigned nothing, and is told why in its hello
    /// and in `GET /api/v1/workers/{id}`.
    func drainInForce(workerID: String) -> WorkerDrain? {
        let key = SteeringBoard.Key(kind: .drain, target: .worker(workerID))
        let board = self.steering.board
        guard board.isEnforced(key), let active = board.active(key) else { return nil }
        let alerts = Array(Set(active.activations.map(\.alertName))).sorted()
        let named = alerts.isEmpty ? "an alert" : (alerts.count == 1 ? "alert " : "alerts ") + alerts.joined(separator: ", ")
        return WorkerDrain(
            since: active.since, alerts: alerts,
            message: "no jobs are assigned to worker \(workerID) while \(named) holds a drain on it (arbiter_action: drain); it ends when the alert resolves")
    }
}
