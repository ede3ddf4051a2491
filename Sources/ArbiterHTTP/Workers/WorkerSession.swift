import ArbiterCore
import ArbiterJobs
import NIOWebSocket
import Synchronization
import WSCore

/// One WebSocket connection of a worker: its ``WorkerSlots`` (shared by the connection's reader,
/// its dispatch loop and submissions that push jobs straight to it) and its outbound side.
final class WorkerSession: PushTarget {
    let workerID: String
    let capabilities: [String]
    let concurrency: Int
    private let outbound: WebSocketOutboundWriter
    private let metrics: JobMetrics
    private let slots: Mutex<WorkerSlots>

    /// The close code sent to a connection that a newer connection of the same worker replaced.
    static let replacedCloseCode = WebSocketErrorCode.unknown(4000)

    init(
        workerID: String, capabilities: [String], concurrency: Int, held: [String: Int64], outbound: WebSocketOutboundWriter, metrics: JobMetrics
    ) {
        self.workerID = workerID
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.outbound = outbound
        self.metrics = metrics
        self.slots = Mutex(WorkerSlots(concurrency: concurrency, held: held))
    }

    /// Slots that may be leased into now (none while draining or once replaced).
    var freeSlots: Int { self.slots.withLock { $0.free } }

    /// Replaced by a newer connection of the same worker: it takes and delivers nothing more.
    var isClosed: Bool { self.slots.withLock { $0.closed } }

    /// The worker drained and holds nothing: if the connection ends now, the worker has stopped.
    var hasStopped: Bool { self.slots.withLock { $0.hasStopped } }

    func reserveSlots(upTo count: Int) -> Int {
        self.slots.withLock { $0.reserve(upTo: count) }
    }

    /// The most bytes of assignments put in one `batch` frame (a larger assignment goes alone).
    static let batchBytes = 1 << 20
    /// The most messages in one `batch` (the protocol's `max_batch_messages`).
    static let batchMessages = 1000

    /// Records the jobs as held, releases the reservation, and writes their `assign` messages: one
    /// frame for one job, a `batch` of them for several (one frame, one write, one flush). A write
    /// that fails (the connection is gone) leaves the leases to expire.
    func deliver(_ jobs: [JobRecord], reserved: Int) async {
        let leases = jobs.map { (jobID: $0.id, token: $0.lease?.token ?? 0) }
        self.slots.withLock { $0.deliver(leases, reserved: reserved) }
        var frame: [String] = []
        var bytes = 0
        var first = 0
        for (index, job) in jobs.enumerated() {
            let text = WorkerChannel.assignmentText(job)
            if !frame.isEmpty && (bytes + text.utf8.count > Self.batchBytes || frame.count == Self.batchMessages) {
                guard await self.write(frame, of: jobs[first..<index]) else { return }
                frame = []
                bytes = 0
                first = index
            }
            frame.append(text)
            bytes += text.utf8.count + 1
        }
        if !frame.isEmpty { _ = await self.write(frame, of: jobs[first...]) }
    }

    /// Writes `messages` (the assignments of `jobs`) as one frame. - Returns: Whether it was written.
    private func write(_ messages: [String], of jobs: ArraySlice<JobRecord>) async -> Bool {
        do {
            if messages.count == 1 {
                try await self.outbound.writeTextMessage(messages[0])
            } else {
                try await self.outbound.writeTextMessage(#"{"messages":["# + messages.joined(separator: ",") + #"],"type":"batch"}"#)
            }
        } catch {
            return false
        }
        let now = WallClock.nowMilliseconds()
        for job in jobs { self.metrics.assigned(job, now: now) }
        return true
    }

    func release(jobID: String, token: Int64) -> WorkerSlots.Release {
        self.slots.withLock { $0.release(jobID: jobID, token: token) }
    }

    /// One of the worker's leases ran out while it held the job: no new work until it speaks again.
    func leaseRanOut() {
        self.slots.withLock { $0.leaseRanOut() }
    }

    /// The worker sent something. - Returns: Whether it had been unresponsive.
    func heard() -> Bool {
        self.slots.withLock { $0.heard() }
    }

    /// The worker asked to drain: it takes no more work.
    func drain() {
        self.slots.withLock { $0.drain() }
    }

    /// A newer connection of the same worker took over: this one takes nothing more and is closed
    /// with ``replacedCloseCode``. The close is written on a task of its own, so a peer that no
    /// longer reads cannot hold up the connection that replaced it.
    func supersede() async {
        self.slots.withLock { $0.close() }
        let outbound = self.outbound
        Task { try? await outbound.close(WorkerSession.replacedCloseCode, reason: "replaced by a newer connection of this worker") }
    }
}
