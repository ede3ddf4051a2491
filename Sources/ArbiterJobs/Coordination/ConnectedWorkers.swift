/// The connections that speak for workers (see ``WorkerConnections``), the push target of each,
/// and the clean stops being recorded.
struct ConnectedWorkers: Sendable {
    var connections = WorkerConnections()
    /// Worker id → the session of the connection that speaks for it.
    var targets: [String: any PushTarget] = [:]
    /// Worker id → the recording of its clean stop, which a newer connection waits for.
    var stopping: [String: Task<Void, Never>] = [:]
}
