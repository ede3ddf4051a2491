import ArbiterWorkerProtocol

/// Optional hooks into a worker's life, for logging, metrics and tests. Every hook runs on the
/// worker's tasks and must return quickly.
public struct WorkerEvents: Sendable {
    public var onConnected: @Sendable () -> Void
    public var onStarted: @Sendable (Assignment) -> Void
    public var onFinished: @Sendable (Assignment, WorkerMessage) -> Void
    public var onCancelled: @Sendable (String) -> Void
    public var onRefused: @Sendable (_ jobID: String, _ code: String) -> Void

    public init(
        onConnected: @escaping @Sendable () -> Void = {}, onStarted: @escaping @Sendable (Assignment) -> Void = { _ in },
        onFinished: @escaping @Sendable (Assignment, WorkerMessage) -> Void = { _, _ in },
        onCancelled: @escaping @Sendable (String) -> Void = { _ in }, onRefused: @escaping @Sendable (String, String) -> Void = { _, _ in }
    ) {
        self.onConnected = onConnected
        self.onStarted = onStarted
        self.onFinished = onFinished
        self.onCancelled = onCancelled
        self.onRefused = onRefused
    }

    func connected() { self.onConnected() }
    func started(_ assignment: Assignment) { self.onStarted(assignment) }
    func finished(_ assignment: Assignment, report: WorkerMessage) { self.onFinished(assignment, report) }
    func cancelled(jobID: String) { self.onCancelled(jobID) }
    func refused(jobID: String, code: String) { self.onRefused(jobID, code) }
}
