/// The state that every replica of one deployment must see alike, behind one port: wake-ups of the
/// dispatch loops, cancel notices for running workers, the rate-limit buckets of job types, the
/// steering board, the lockout of client addresses, revoked tokens, and which connection speaks for
/// each worker.
///
/// ``LocalCoordination`` keeps all of it in this process, which is all one replica needs. A shared
/// implementation (on Redis) keeps the same contracts across replicas: worker presence, notices
/// routed to the replica that holds the worker, global rate limits, lockouts seen by every replica.
///
/// Every requirement but the connection hand-offs is synchronous: the dispatch path calls them per
/// lease, and a shared implementation answers them from local state it keeps in step in the
/// background, never with a round trip per job.
///
/// - Important: The scheduler and everything that shares its state (its loops, the access
///   middleware's ``AuthLockout``) must be given the same instance.
public protocol Coordination: AnyObject, Sendable {
    // MARK: Wake-ups

    /// Signalled when there may be new work or a notice for this process's workers; its dispatch
    /// loops wait on it.
    var wake: WakeSignal { get }

    /// There may be work for workers (a job became eligible, a permit or a slot freed, a notice is
    /// waiting): wakes the dispatch loops here, and those of every replica when shared.
    func announceWork()

    /// An attempt of a concurrency-capped type ended, so a slot under its cap freed: wakes the
    /// dispatch loops here, and those of every replica when shared (a worker of any may take it).
    func announceCapacityFreed()

    /// A worker's slot freed (its report ended an attempt) and nothing was queued by it: wakes the
    /// dispatch loops here without clearing ``queueHint``.
    func announceSlotsFreed()

    /// The job types whose queues a lease here found empty, until ``announceWork()`` clears them.
    var queueHint: QueueHint { get }

    // MARK: Steering

    /// The actions alerts and operators put in force. Its changes wake ``wake``.
    var steering: SteeringState { get }

    // MARK: Cancel notices

    /// Leaves notices for workers to take (a later notice about the same job replaces an earlier one).
    /// - Parameter notices: Each notice with the worker it is for.
    func postCancelNotices(_ notices: [(workerID: String, notice: CancelNotice)])

    /// Takes the notices waiting for a worker; each is delivered once.
    /// - Returns: The notices, by job id.
    func takeCancelNotices(workerID: String) -> [CancelNotice]

    /// Drops the notices waiting for workers that are gone (their leases ended with them).
    func dropCancelNotices(workerIDs: [String])

    // MARK: Rate limits

    /// Reserves up to `wanted` starts of each type among `types` that `limits` names.
    /// - Parameters:
    ///   - types: The job types a worker may run.
    ///   - wanted: The most starts of each.
    ///   - limits: Each limited type's rate (types not listed are not limited).
    ///   - now: Monotonic ms of this process.
    /// - Returns: The quota per limited type; give back what is not used with ``refundStarts(_:)``.
    func reserveStarts(types: [String], wanted: Int, limits: [String: RateLimit], now: Int64) -> [String: Int]

    /// Gives back starts that were reserved and not used.
    func refundStarts(_ unused: [String: Int])

    /// Milliseconds until a limited type among `types` that is out of starts gets one (`nil` when
    /// none is limited).
    func millisecondsUntilNextStart(types: [String], limits: [String: RateLimit], now: Int64) -> Int64?

    // MARK: Auth lockout

    /// How long `address` is still locked out, or `nil` if it may try.
    /// - Parameter now: Monotonic ms of this process.
    func lockoutRemaining(address: String, now: Int64) -> Duration?

    /// Records a failed authentication from `address` under `policy`.
    /// - Returns: The lockout it started, if it started one.
    func recordAuthFailure(address: String, policy: AuthLockout.Policy, now: Int64) -> Duration?

    /// `address` authenticated: its earlier failures no longer count (a lockout in force stays).
    func recordAuthSuccess(address: String)

    // MARK: Token revocations

    /// A token was revoked here: every handler given to ``onTokenRevoked(_:)`` forgets it, here and,
    /// when shared, on every replica.
    func announceTokenRevoked(id: String)

    /// Calls `forget` with the id of every token revoked from now on.
    func onTokenRevoked(_ forget: @escaping @Sendable (String) -> Void)

    // MARK: Connected workers

    /// A connection with a valid hello claims its worker: from then on no older connection of the
    /// worker can end its registration. Waits until the worker's previous clean stop, if one is
    /// being recorded, is done.
    func claim(workerID: String) async -> WorkerConnections.Connection

    /// The claiming connection's session is ready: it speaks for its worker and takes pushed jobs.
    /// The session it replaces is superseded.
    /// - Returns: `false` when a newer connection claimed the worker first.
    func attach(_ target: any PushTarget, as connection: WorkerConnections.Connection) async -> Bool

    /// Whether the connection speaks for its worker now.
    func speaks(_ connection: WorkerConnections.Connection) -> Bool

    /// A connection ended. When its end means the worker stopped, `recordStop` runs before any newer
    /// connection of the worker finishes claiming it.
    /// - Parameters:
    ///   - target: The connection's session (`nil` if it ended before it had one).
    ///   - connection: Its claim.
    ///   - stopped: The worker had drained and held nothing.
    ///   - recordStop: Forgets the stopped worker (store and observers).
    /// - Returns: What the end meant.
    func detach(
        _ target: (any PushTarget)?, as connection: WorkerConnections.Connection, stopped: Bool,
        recordStop: @escaping @Sendable () async -> Void
    ) async -> WorkerConnections.Detach

    /// The sessions of the workers connected to this process, which submissions push jobs into.
    func pushTargets() -> [any PushTarget]

    /// The session speaking for a worker connected to this process, if one does.
    func pushTarget(workerID: String) -> (any PushTarget)?
}
