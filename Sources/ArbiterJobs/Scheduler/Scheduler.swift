import ArbiterCore
import Synchronization

/// The one place dispatch decisions are made, for every path a worker can take (WebSocket push and
/// HTTP long-poll): which jobs a worker may lease given priorities, pause, per-type concurrency and
/// rate limits; fenced reports; cancellation notices to running workers; and the clock that queues
/// due jobs and rescues expired leases. These are the levers alert-driven actions pull.
///
/// What replicas must share (wake-ups, notices, rate limits, the steering board, connected workers)
/// it keeps in its ``coordination``; it reads the time only from its ``clock``.
public final class Scheduler: Sendable {
    public let store: any JobStore
    public let workers: any WorkerStore
    /// Consents: ending one cancels its jobs, and running ones are told to stop.
    public let consents: (any ConsentStore)?
    public let policies: [String: JobTypePolicy]
    /// How long a lease lasts without a progress report.
    public let leaseTimeout: Duration
    /// The state shared with other replicas: wake-ups, notices, rate limits, steering, connections.
    public let coordination: any Coordination
    /// Where every decision reads the time.
    public let clock: any TimeSource
    /// Signalled whenever there may be new work or a notice for a worker (the coordination's).
    public let wake: WakeSignal
    /// When the jobs put off come due (``promoteDueJobs()`` queues them then).
    public let dueTimes: DueTimes
    /// The actions alerts and operators put in force: breakers, throttles, drains (the coordination's).
    public let steering: SteeringState
    let observer: any SchedulerObserver
    private let concurrencyLimits: [String: Int]
    /// Until when (monotonic ms) silence proves nothing: a tick that failed (the store unreachable)
    /// means heartbeats could not be recorded either, so for one worker timeout after the last failed
    /// tick no worker is taken offline and no lease is ended for want of a heartbeat.
    private let heartbeatsUnheardUntil = Mutex<Int64>(.min)
    private let rateLimits: [String: RateLimit]

    /// - Parameters:
    ///   - store: Where jobs are kept.
    ///   - workers: Where workers are kept.
    ///   - consents: Consents, when jobs may act for users.
    ///   - policies: Each job type's retry, concurrency and rate limit.
    ///   - leaseTimeout: How long a lease lasts without a progress report.
    ///   - observer: Told of every confirmed transition (metrics).
    ///   - steering: The steering board, when no `coordination` is given; with one, leave it out
    ///     (the coordination's board is used).
    ///   - coordination: The state shared with other replicas; by default one of this process's own
    ///     (``LocalCoordination``) on `clock`.
    ///   - clock: Where every decision reads the time; give `coordination` the same one.
    public init(
        store: any JobStore, workers: any WorkerStore, consents: (any ConsentStore)? = nil, policies: [String: JobTypePolicy],
        leaseTimeout: Duration, observer: any SchedulerObserver, steering: SteeringState? = nil, coordination: (any Coordination)? = nil,
        clock: any TimeSource = SystemClock()
    ) {
        let coordination = coordination ?? LocalCoordination(clock: clock, steering: steering)
        precondition(steering == nil || coordination.steering === steering, "a scheduler's steering board is its coordination's")
        self.store = store
        self.consents = consents
        self.workers = workers
        self.policies = policies
        self.leaseTimeout = leaseTimeout
        self.observer = observer
        self.coordination = coordination
        self.clock = clock
        self.wake = coordination.wake
        self.steering = coordination.steering
        self.dueTimes = DueTimes(clock: clock)
        self.rateLimits = policies.compactMapValues(\.rateLimit)
        self.concurrencyLimits = policies.compactMapValues(\.concurrency)
        self.steering.addWaker(self.wake)
    }

    // MARK: Leasing

    /// Leases up to `limit` jobs of `types` to a worker, within every type's pause, concurrency and
    /// rate limit and the steering actions in force (none to a drained worker).
    public func lease(workerID: String, types: [String], limit: Int) async throws -> [JobRecord] {
        guard limit > 0, !types.isEmpty, !self.steering.draining(workerID: workerID) else { return [] }
        // The types whose queues were not just found empty (a freed slot wakes every dispatch loop).
        let hint = self.coordination.queueHint
        let generation = hint.generation
        let wanted = hint.mayHaveWork(types, now: self.clock.monotonicMilliseconds())
        guard !wanted.isEmpty else { return [] }
        return try await self.withLeaseRequest(workerID: workerID, types: wanted, limit: limit) { request, now in
            let leased = try await self.store.lease(
                types: request.types, workerID: request.workerID, limit: request.limit, leaseMilliseconds: request.leaseMilliseconds,
                limits: request.limits, now: now)
            if leased.count < request.limit {
                // Every type it could lease from ran out; those a quota held back may still have work.
                hint.markEmpty(request.types.filter { request.limits.quotas[$0] == nil }, since: generation, now: self.clock.monotonicMilliseconds())
            }
            return leased
        }
    }

    /// Builds a lease request within the rate limits and the steering board's breakers and
    /// throttles, runs `body`, and settles the quotas and the observer with what it leased.
    func withLeaseRequest<T>(
        workerID: String, types: [String], limit: Int, _ body: (LeaseRequest, Int64) async throws -> (T, [JobRecord])
    ) async throws -> (T, [JobRecord]) {
        let monotonic = self.clock.monotonicMilliseconds()
        let quotas = self.coordination.reserveStarts(types: types, wanted: limit, limits: self.rateLimits, now: monotonic)
        let steered = self.steering.reserve(types: types, wanted: limit, now: monotonic)
        // Read in the steering board's lock: a lease stamped after a pause began was refused by it,
        // and one stamped before a breaker half-opened was not a probe.
        let now = steered.at
        let request = LeaseRequest(
            types: types, workerID: workerID, limit: limit, leaseMilliseconds: self.leaseTimeout.wholeMilliseconds,
            limits: LeaseLimits(concurrency: self.concurrencyLimits, quotas: quotas.merging(steered.quotas, uniquingKeysWith: min)))
        let result: (T, [JobRecord])
        do {
            result = try await body(request, now)
        } catch {
            self.coordination.refundStarts(quotas)
            self.steering.settle(steered, leased: [])
            throw error
        }
        self.steering.settle(steered, leased: result.1)
        if !quotas.isEmpty {
            var unused = quotas
            for job in result.1 { unused[job.type]? -= 1 }
            self.coordination.refundStarts(unused)
        }
        if !result.1.isEmpty { self.observer.leased(result.1, now: now) }
        return result
    }

    private func withLeaseRequest(
        workerID: String, types: [String], limit: Int, _ body: (LeaseRequest, Int64) async throws -> [JobRecord]
    ) async throws -> [JobRecord] {
        try await self.withLeaseRequest(workerID: workerID, types: types, limit: limit) { request, now -> ((), [JobRecord]) in
            ((), try await body(request, now))
        }.1
    }

    /// How long a worker with these capabilities should wait before its next lease attempt at most:
    /// until a rate-limited or throttled type gets its next token, capped at `ceiling`.
    public func idleWait(types: [String], ceiling: Duration) -> Duration {
        let now = self.clock.monotonicMilliseconds()
        let waits = [
            self.coordination.millisecondsUntilNextStart(types: types, limits: self.rateLimits, now: now),
            self.steering.nextToken(types: types, now: now),
        ]
        guard let next = waits.compactMap(\.self).min(), next > 0 else { return ceiling }
        return min(ceiling, .milliseconds(next))
    }

    // MARK: Submission

    /// Stores jobs, unless a `shed` action holds the type of one (see ``admit(_:)``). When some are
    /// due now and a connected worker that runs their type has free slots, they are leased to it in
    /// the same commit and pushed at once (one commit and no dispatch-loop wake-up between
    /// submission and start); whatever is left wakes the dispatch loops.
    /// - Throws: ``ShedRefusal`` (nothing is stored then), or what the store throws.
    public func submit(_ submissions: [JobSubmission]) async throws -> [JobSubmitOutcome] {
        try self.admit(submissions)
        let now = self.clock.nowMilliseconds()
        let due = submissions.filter { $0.runAt <= now }
        if let later = submissions.lazy.map(\.runAt).filter({ $0 > now }).min() { self.dueTimes.note(later) }
        let types = Array(Set(due.map(\.type))).sorted()
        var target: (any PushTarget)?
        var reserved = 0
        if !due.isEmpty {
            for candidate in self.coordination.pushTargets().shuffled()
            where Set(types).isSubset(of: candidate.capabilities) && !self.steering.draining(workerID: candidate.workerID) {
                reserved = candidate.reserveSlots(upTo: due.count)
                if reserved > 0 {
                    target = candidate
                    break
                }
            }
        }
        guard let target else {
            let outcomes = try await self.store.submit(submissions, now: now)
            if !due.isEmpty { self.coordination.announceWork() }
            return outcomes
        }
        let result: JobSubmitResult
        do {
            (result, _) = try await self.withLeaseRequest(workerID: target.workerID, types: types, limit: reserved) { request, now in
                let result = try await self.store.submit(submissions, now: now, thenLease: request)
                return (result, result.leased)
            }
        } catch {
            await target.deliver([], reserved: reserved)
            throw error
        }
        await target.deliver(result.leased, reserved: reserved)
        let created = result.outcomes.filter { if case .created = $0 { true } else { false } }.count
        if created > result.leased.count { self.coordination.announceWork() }
        return result.outcomes
    }

    /// Whether new jobs of these types are taken now: while a firing alert sheds a type (or every
    /// type), its submissions are refused; work already queued keeps running.
    /// - Throws: ``ShedRefusal`` naming the first submission refused.
    public func admit(_ submissions: [JobSubmission]) throws {
        // One read of the board for the whole batch.
        let board = self.steering.board
        for (index, submission) in submissions.enumerated() {
            guard let shed = board.shedding(jobType: submission.type) else { continue }
            throw ShedRefusal(jobType: submission.type, alerts: Array(Set(shed.activations.map(\.alertName))).sorted(), index: index)
        }
    }

    // MARK: Reports (fenced by the lease token)

    /// The most of a failure's error text that is kept: the first 64 KiB.
    public static let maxErrorBytes = 64 * 1024

    /// Records many reports in one store transaction (each fenced and refused on its own). A
    /// failure's error text is cut to its first ``maxErrorBytes``.
    ///
    /// - Important: The slot of every job whose hold the reports end (a recorded `complete` or
    ///   `fail`, or any refusal but that of a progress report on an unknown job) is freed on the
    ///   worker's connection *before* the dispatch loops are woken, so a slot that frees is filled
    ///   at once.
    /// - Parameters:
    ///   - reports: The reports, in order.
    ///   - workerID: The worker that sent them, when it may be connected (its slots are freed).
    /// - Returns: Per report, in order, the job afterwards or the refusal.
    /// - Throws: What the store throws; nothing is recorded then.
    public func report(_ reports: [JobReport], workerID: String? = nil) async throws -> [Result<JobRecord, JobStoreError>] {
        guard !reports.isEmpty else { return [] }
        let now = self.clock.nowMilliseconds()
        let kept = reports.map { report -> JobReport in
            guard case .failed(let error) = report.outcome, error.utf8.count > Self.maxErrorBytes || error.utf8.contains(0) else { return report }
            // U+0000 becomes U+FFFD: every store keeps the text as text (PostgreSQL's cannot hold NUL).
            var kept = String.UnicodeScalarView()
            kept.append(contentsOf: error.utf8Prefix(maxBytes: Self.maxErrorBytes).unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 })
            return JobReport(jobID: report.jobID, token: report.token, outcome: .failed(error: String(kept)))
        }
        let results = try await self.store.report(kept, leaseMilliseconds: self.leaseTimeout.wholeMilliseconds, now: now)
        let target = workerID.flatMap { self.coordination.pushTarget(workerID: $0) }
        var wake = false
        var freed = false
        var queued = false
        for (report, result) in zip(reports, results) {
            var endsHold = false
            switch result {
            case .success(let job):
                // A failed attempt may be queued again at once.
                queued = queued || job.state == .queued
                let event: JobEvent
                switch report.outcome {
                case .succeeded: event = .succeeded
                case .failed: event = .failed
                case .progress: continue
                }
                self.attemptEnded(job, outcome: event == .succeeded ? .succeeded : .failed, now: now)
                for action in Self.actions(of: event, endingAttemptOf: job) {
                    switch action {
                    // A retry comes due when its backoff ends, not at the clock's next tick.
                    case .scheduleRetry: self.dueTimes.note(job.runAt)
                    // The worker reported, so it holds the job no more; and a finished attempt
                    // frees a type's concurrency permit, whoever holds the slot.
                    case .releaseLease:
                        endsHold = true
                        wake = true
                        freed = freed || self.concurrencyLimits[job.type] != nil
                    case .startAttempt, .signalWorkerCancel, .finish: break
                    }
                }
            case .failure(let refusal):
                // The token is not the job's current lease (or the job is cancelled or unknown):
                // the worker does not hold the job under it any more.
                endsHold = report.outcome != .progress || refusal.code != .notFound
            }
            if endsHold, target?.release(jobID: report.jobID, token: report.token) == .released { wake = true }
        }
        if freed {
            self.coordination.announceCapacityFreed()
        } else if queued {
            self.coordination.announceWork()
        } else if wake {
            self.coordination.announceSlotsFreed()
        }
        return results
    }

    /// Queues the jobs whose `run_at` has come, if the earliest time noted has (between the clock's ticks).
    /// - Returns: How many were queued.
    @discardableResult
    public func promoteDueJobs() async throws -> Int {
        let now = self.clock.nowMilliseconds()
        guard self.dueTimes.take(dueBy: now) else { return 0 }
        let promoted = try await self.store.promoteDueJobs(now: now)
        if promoted > 0 { self.coordination.announceWork() }
        return promoted
    }

    // MARK: Cancellation

    /// Cancels a job; a running one's worker is sent a cancel notice.
    public func cancel(jobID: String, reason: String) async throws -> JobRecord {
        let now = self.clock.nowMilliseconds()
        let (job, lease) = try await self.store.cancel(id: jobID, reason: reason, now: now)
        self.cancelled([(job, lease)], now: now)
        return job
    }

    /// Revokes a consent: the store cancels the user's jobs in the scope (unless another consent for it
    /// is in force) and their workers are told to stop.
    public func revokeConsent(id: String) async throws -> ConsentChange {
        guard let consents = self.consents else { throw JobStoreError(.notFound, "consent \(id) does not exist") }
        let now = self.clock.nowMilliseconds()
        let change = try await consents.revokeConsent(id: id, now: now)
        self.cancelled(change.cancelled, now: now)
        return change
    }

    /// Tells the workers of cancelled running jobs to stop, and counts the cancellations.
    private func cancelled(_ jobs: [(job: JobRecord, lease: JobLease?)], now: Int64) {
        var notices: [(workerID: String, notice: CancelNotice)] = []
        for (job, lease) in jobs {
            guard let lease else {
                self.observer.cancelledWhileWaiting(job)
                continue
            }
            if let notice = Self.notice(after: Self.actions(of: .cancel, endingAttemptOf: job), job: job, lease: lease) {
                notices.append((lease.workerID, notice))
            }
            self.attemptEnded(job, outcome: .cancelled, now: now)
        }
        self.coordination.postCancelNotices(notices)
        if !notices.isEmpty { self.coordination.announceWork() }
    }

    /// Tells the metrics and the steering board (a half-open probe's outcome decides its breaker).
    private func attemptEnded(_ job: JobRecord, outcome: AttemptOutcome, now: Int64) {
        self.observer.attemptEnded(job, outcome: outcome, now: now)
        self.steering.attemptEnded(job, outcome: outcome, now: now)
    }

    /// Takes the notices waiting for a worker (each is delivered once): the running jobs it must
    /// stop because they were cancelled or their lease ran out.
    public func takeCancelNotices(workerID: String) -> [CancelNotice] {
        self.coordination.takeCancelNotices(workerID: workerID)
    }

    // MARK: Time

    /// Jobs may have become eligible: wake the dispatch loops.
    public func workArrived() {
        self.coordination.announceWork()
    }

    /// What one clock tick did.
    public struct Tick: Sendable {
        public var offlineWorkers: [String] = []
        public var promoted = 0
        public var expired: [JobRecord] = []
        /// Consents whose expiry came, and the jobs that went with them.
        public var expiredConsents = ConsentChange(consents: [], cancelled: [])
    }

    /// Marks silent workers offline, queues due jobs, and requeues (or kills) jobs whose lease ran
    /// out. The worker of a lease that ran out is told to stop the job (``CancelNotice/leaseExpired``),
    /// which frees its slot, unless it went offline in this tick (then all its leases ended at once).
    ///
    /// After a tick that failed, silence is not judged for one `workerTimeout`: heartbeats sent
    /// while the store was unreachable were lost, and a live worker gets that long to be heard again.
    public func tick(workerTimeout: Duration) async throws -> Tick {
        do {
            return try await self.tickOnce(workerTimeout: workerTimeout)
        } catch {
            let until = self.clock.monotonicMilliseconds() + workerTimeout.wholeMilliseconds
            self.heartbeatsUnheardUntil.withLock { $0 = max($0, until) }
            throw error
        }
    }

    private func tickOnce(workerTimeout: Duration) async throws -> Tick {
        var tick = Tick()
        let now = self.clock.nowMilliseconds()
        let judging = self.clock.monotonicMilliseconds() >= self.heartbeatsUnheardUntil.withLock { $0 }
        if judging {
            tick.offlineWorkers = try await self.workers.markOffline(silentSince: now - workerTimeout.wholeMilliseconds, now: now)
        }
        // Their leases are over, so their cancel notices have nothing left to stop.
        self.coordination.dropCancelNotices(workerIDs: tick.offlineWorkers)
        if let consents = self.consents {
            tick.expiredConsents = try await consents.expireConsents(now: now)
            self.cancelled(tick.expiredConsents.cancelled, now: now)
        }
        tick.promoted = try await self.store.promoteDueJobs(now: now)
        let expired = judging ? try await self.store.endExpiredLeases(now: now) : []
        tick.expired = expired.map(\.job)
        let offline = Set(tick.offlineWorkers)
        var notices: [(workerID: String, notice: CancelNotice)] = []
        for entry in expired {
            guard let lease = entry.lease, !offline.contains(lease.workerID),
                let notice = Self.notice(after: Self.actions(of: .leaseExpired, endingAttemptOf: entry.job), job: entry.job, lease: lease)
            else { continue }
            notices.append((lease.workerID, notice))
        }
        self.coordination.postCancelNotices(notices)
        for job in tick.expired { self.attemptEnded(job, outcome: .leaseExpired, now: now) }
        self.steering.expire(now: now)
        if tick.promoted > 0 || !tick.expired.isEmpty { self.coordination.announceWork() }
        return tick
    }
}
