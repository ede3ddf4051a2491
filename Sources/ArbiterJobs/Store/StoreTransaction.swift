/// The narrow port a store implements: it persists and selects inside one transaction, and decides
/// nothing. Which job is leased, whether a transition is legal, whether consent holds, what the audit
/// log says: all of that is the ``Ledger``'s, written once for every store.
///
/// A transaction is used by one thread at a time; every method blocks. Methods that change rows
/// write exactly what they are given; methods named for a condition (`…IfNot…`, `markConsentRevoked`)
/// change a row only when it holds, and say whether they did, so two transactions racing for the same
/// row cannot both succeed.
public protocol StoreTransaction {
    // MARK: Jobs

    func job(id: String) throws -> JobRecord?
    /// The job stored under an idempotency key, with the request digest it was stored with.
    func job(idempotencyKey: String) throws -> (job: JobRecord, requestHash: String?)?
    /// Stores a new job.
    /// - Throws: ``StoreConflict/idempotencyKeyTaken`` when another transaction stored the same key
    ///   first (the ledger then reads that job instead).
    func insertJob(_ job: JobRecord, requestHash: String?) throws
    /// Writes a job's fields that differ from `old` (the row as this transaction read it).
    func updateJob(_ job: JobRecord, from old: JobRecord) throws
    /// Queued jobs of these types whose type is not paused: the highest priority first, then the
    /// oldest `run_at`, then the smallest id; at most `limit`. Where the store has row locks the rows
    /// are locked for this transaction and rows locked by others are skipped.
    func leasableJobs(types: [String], limit: Int) throws -> [JobRecord]
    /// How many jobs of each of these types are running, counted so that no other transaction leases
    /// until this one ends (a per-type cap then holds across processes).
    func runningCounts(types: [String]) throws -> [String: Int]
    /// Running jobs whose lease ends at or before `now`, the earliest first, at most `limit`.
    func expiredLeases(now: Int64, limit: Int) throws -> [JobRecord]
    /// Scheduled jobs whose `run_at` has come, the earliest first, at most `limit`.
    func dueJobs(now: Int64, limit: Int) throws -> [JobRecord]
    /// A user's scheduled, queued and running jobs in a consent scope, by id.
    func unfinishedJobs(userID: String, scope: String) throws -> [JobRecord]
    /// A page of jobs matching `filter`, by id, after `cursor`.
    func jobs(_ filter: JobFilter, after cursor: String?, limit: Int) throws -> [JobRecord]
    /// How many jobs match `filter`.
    func countJobs(_ filter: JobFilter) throws -> Int
    func countsByType() throws -> [String: [JobState: Int]]
    /// Per type, the earliest time a queued job became eligible: `max(run_at, queued_at)`.
    func oldestQueuedByType() throws -> [String: Int64]

    /// Moves forward to `until` the lease deadline of the worker's running jobs that end before it
    /// (only those in `jobs` when given).
    func extendLeases(workerID: String, jobs: [String]?, until: Int64) throws
    /// Brings forward to `now` the lease deadline of the worker's running jobs that end later,
    /// except those in `keep`.
    func endLeases(workerID: String, except keep: [String], now: Int64) throws

    // MARK: Artifacts

    /// A job's artifacts, by name, without their content.
    func artifacts(jobID: String) throws -> [JobArtifact]
    /// One artifact with its content.
    func artifact(jobID: String, name: String) throws -> (JobArtifact, [UInt8])?
    /// Stores an artifact, replacing one of the same job and name.
    func putArtifact(_ artifact: JobArtifact, content: [UInt8]) throws

    // MARK: Retention

    /// Finished jobs past their retention (``StoreConditions/prunable(_:)``), the oldest created first,
    /// at most `limit`.
    func prunableJobs(_ cutoffs: RetentionCutoffs, limit: Int) throws -> [PrunedJob]
    /// Removes these jobs with their attempts.
    func deleteJobs(ids: [String]) throws
    /// How large the store is: its bytes and rows per table (an estimate where counting would scan).
    func statistics() throws -> StoreStatistics

    // MARK: Attempts

    /// Records an attempt started under a lease, numbered after the job's earlier attempts (a job
    /// retried by an operator keeps its history: its numbers go on).
    func insertAttempt(jobID: String, workerID: String, token: Int64, startedAt: Int64) throws
    /// Records how the attempt under this lease token ended.
    func finishAttempt(jobID: String, token: Int64, outcome: String, error: String?, at: Int64) throws
    /// Whether the attempt under this lease token was ended by a cancellation.
    func attemptCancelled(jobID: String, token: Int64) throws -> Bool
    func attempts(jobID: String) throws -> [JobAttempt]

    // MARK: Job types

    func pausedTypes() throws -> Set<String>
    func setPaused(type: String, paused: Bool, at: Int64) throws

    // MARK: Workers

    func worker(id: String) throws -> WorkerRecord?
    func workers() throws -> [WorkerRecord]
    /// The state as stored (`idle`, `draining` or `offline`; busy is derived), cheaply.
    func storedWorkerState(id: String) throws -> WorkerState?
    /// Stores a worker, or updates a known one, as idle and just heard from.
    func upsertWorker(id: String, capabilities: [String], concurrency: Int, labels: [String: String], at: Int64) throws
    /// Sets the worker's state if its stored state is one of `from`.
    /// - Returns: Whether it changed.
    func setWorkerState(id: String, to state: WorkerState, from: [WorkerState]) throws -> Bool
    /// Records that the worker was heard from.
    func touchWorker(id: String, at: Int64) throws
    func deleteWorker(id: String) throws
    /// Workers not offline whose last heartbeat is before `cutoff`, by id.
    func silentWorkers(before cutoff: Int64) throws -> [String]

    // MARK: Consents and credentials

    func consent(id: String) throws -> ConsentRecord?
    /// Every consent a user has had for a scope.
    func consents(userID: String, scope: String) throws -> [ConsentRecord]
    /// A page of consents matching `filter` (its status as of `now`), by id, after `cursor`.
    func consents(_ filter: ConsentFilter, after cursor: String?, limit: Int, now: Int64) throws -> [ConsentRecord]
    func insertConsent(_ consent: ConsentRecord) throws
    /// Sets `revoked_at` unless it is set already.
    /// - Returns: Whether it changed.
    func markConsentRevoked(id: String, at: Int64) throws -> Bool
    /// Consents not revoked whose `expires_at` has come and whose expiry was not yet handled.
    func consentsDueToExpire(now: Int64) throws -> [ConsentRecord]
    func markConsentExpiryHandled(id: String, at: Int64) throws
    func sealedCredential(userID: String, scope: String) throws -> SealedCredential?
    func putCredential(userID: String, scope: String, _ sealed: SealedCredential, at: Int64) throws
    /// - Returns: Whether there was one.
    func deleteCredential(userID: String, scope: String) throws -> Bool

    // MARK: API tokens

    func insertToken(_ token: TokenRecord, hash: [UInt8]) throws
    func token(hash: [UInt8]) throws -> TokenRecord?
    func token(id: String) throws -> TokenRecord?
    func tokens() throws -> [TokenRecord]
    /// Sets `revoked_at` unless it is set already.
    /// - Returns: Whether it changed.
    func markTokenRevoked(id: String, at: Int64) throws -> Bool
    func tokenCount() throws -> Int

    // MARK: The audit log

    /// The chain's last entry, held for this transaction: no other transaction appends until this one
    /// ends (the chain never forks, however many connections write).
    func auditHeadForAppend() throws -> AuditHead?
    func appendAudit(_ entry: AuditEntry) throws
    /// The last entry as stored (the anchor when every entry was archived), without holding anything.
    func auditHead() throws -> AuditHead?
    /// Where the stored chain begins when older entries were archived: the last archived entry.
    func auditAnchor() throws -> AuditHead?
    /// Removes the entries up to `anchor.seq` and makes `anchor` where the stored chain begins.
    func archiveAudit(through anchor: AuditHead, at: Int64) throws
    func auditHash(seq: Int64) throws -> [UInt8]?
    /// A page of entries matching `filter`, by `seq`, after `cursor`.
    func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) throws -> [AuditEntry]

    // MARK: Wake-ups

    /// Jobs of these types became queued in this transaction: every process on the database is to
    /// wake its dispatch loops once it commits (PostgreSQL: `NOTIFY`; a store with one process: nothing).
    func announceQueued(types: Set<String>) throws

    // MARK: Atomicity

    /// Runs `body` so that if it throws, everything it wrote is undone and the transaction goes on (a
    /// savepoint).
    func atomically<T>(_ body: () throws -> T) throws -> T
}

/// A user's secret as the vault sealed it.
public struct SealedCredential: Sendable, Equatable {
    public var keyID: String
    public var nonce: [UInt8]
    /// Ciphertext followed by the 16-byte tag.
    public var ciphertext: [UInt8]

    public init(keyID: String, nonce: [UInt8], ciphertext: [UInt8]) {
        self.keyID = keyID
        self.nonce = nonce
        self.ciphertext = ciphertext
    }
}

/// A write that lost a race with another transaction.
public enum StoreConflict: Error, Equatable {
    /// Another transaction stored a job under the same idempotency key first.
    case idempotencyKeyTaken(String)
}

/// Where a store's transactions run: a backend (SQLite, PostgreSQL) provides the threads, the
/// connections and the commits; the ``Ledger`` provides every decision.
public protocol StoreBackend: Sendable {
    /// Runs `body` as one atomic operation and returns once it is durable. Operations may share a
    /// transaction (group commit), each in a savepoint of its own, so one that throws undoes only itself.
    /// - Throws: What `body` throws, or ``StoreUnavailable`` when the database cannot be reached.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// Runs a read-only `body`; it sees at least every commit made before the call.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// Whether this process is the only writer (SQLite): then what a transaction read of consents and
    /// credentials may be kept between transactions.
    var soleWriter: Bool { get }
    /// Registers what to call when a group commit fails (what was kept from it must be forgotten).
    func onRollback(_ handler: @escaping @Sendable () -> Void)
    /// Registers what to call when another process (or this one) announced queued work, with the
    /// types if known (`nil`: any type).
    func onQueued(_ handler: @escaping @Sendable (Set<String>?) -> Void)
    /// Finishes the operations already submitted and closes the connections.
    func close() async throws
}

/// The database could not be reached: the operation was not made. The API answers 503.
public struct StoreUnavailable: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
