/// A connected worker the scheduler can hand jobs to directly (a WebSocket session): when a job is
/// submitted and such a worker has a free slot, the job is leased to it in the same commit that
/// stores it and pushed at once. It keeps the worker's ``WorkerSlots``.
public protocol PushTarget: AnyObject, Sendable {
    var workerID: String { get }
    var capabilities: [String] { get }
    /// Reserves up to `count` free slots (none while draining); returns how many.
    func reserveSlots(upTo count: Int) -> Int
    /// Hands over the jobs leased into reserved slots and gives back the `reserved - jobs.count`
    /// slots that were not used.
    func deliver(_ jobs: [JobRecord], reserved: Int) async
    /// The worker's hold on a job under a lease ended (reported, refused, cancelled, expired).
    /// - Returns: What the worker's slots found; see ``WorkerSlots/release(jobID:token:)``.
    func release(jobID: String, token: Int64) -> WorkerSlots.Release
    /// A newer connection speaks for the worker: take nothing more, and close the connection.
    func supersede() async
}
