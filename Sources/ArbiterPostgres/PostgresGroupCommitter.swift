import ArbiterJobs
import NIOPosix
import Synchronization

/// Runs write operations many to a transaction, as the SQLite store's group commit does.
///
/// Operations that arrive while a transaction is being written wait and then go together into the
/// next one, on one connection: each runs in a savepoint (`arbiter_operation`), so one that throws
/// undoes only itself, and one `COMMIT` makes the group durable before any caller hears back. An
/// operation that lost a deadlock or a serialization check (SQLSTATE `40P01`, `40001`) is rolled back
/// to its savepoint and run again, up to three times. A failed `COMMIT` fails the whole group and
/// calls the rollback handlers; a lost connection fails it with ``StoreUnavailable``.
///
/// One group is written at a time per process: appends to the audit chain, which nearly every write
/// makes, take one lock for the whole database anyway, and each group takes it first (see ``commit``).
final class PostgresGroupCommitter: Sendable {
    /// How a body's run ended, and how to tell its caller once the group's fate is known.
    private struct Attempt {
        /// What the body threw, if it did.
        let error: (any Error)?
        /// Resumes the caller: with the body's result, or the commit's error when the body succeeded.
        let deliver: @Sendable ((any Error)?) -> Void
    }

    private struct Operation: Sendable {
        let attempt: @Sendable (PostgresTransaction) -> Attempt
        /// Resumes the caller with an error, when the body's result is not to be delivered.
        let fail: @Sendable (any Error) -> Void
    }

    private struct Pending {
        var operations: [Operation] = []
        var draining = false
    }

    private enum DrainEnd {
        /// The queue is empty.
        case done
        /// The connection was lost with work left: go on with another.
        case reconnect
    }

    private static let savepoint = "arbiter_operation"
    private static let maxRuns = 3

    private let pending = Mutex(Pending())
    private let pool: PostgresConnectionPool
    private let threads: NIOThreadPool
    private let observer: any PostgresObserver
    private let onRollback: @Sendable () -> Void

    init(pool: PostgresConnectionPool, threads: NIOThreadPool, observer: any PostgresObserver, onRollback: @escaping @Sendable () -> Void) {
        self.pool = pool
        self.threads = threads
        self.observer = observer
        self.onRollback = onRollback
    }

    /// Runs `body` atomically in the next group commit and returns once that commit is durable.
    func perform<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let operation = Operation(
                attempt: { transaction in
                    let result = Result { try body(transaction) }
                    let error: (any Error)? = if case .failure(let error) = result { error } else { nil }
                    return Attempt(error: error) { commitError in
                        switch (result, commitError) {
                        case (.success, let commitError?): continuation.resume(throwing: commitError)
                        default: continuation.resume(with: result)
                        }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDrain = self.pending.withLock { pending in
                pending.operations.append(operation)
                defer { pending.draining = true }
                return !pending.draining
            }
            if startDrain {
                Task { await self.drain() }
            }
        }
    }

    // MARK: Draining

    /// Commits groups until the queue is empty, on one borrowed connection at a time.
    private func drain() async {
        while true {
            let slot: PostgresConnectionPool.Slot
            do {
                slot = try await self.pool.acquire()
            } catch {
                self.failPending(error)
                return
            }
            let end: DrainEnd
            do {
                end = try await self.threads.runIfActive { self.drain(on: slot) }
            } catch {
                end = .done
                self.failPending(error)
            }
            self.pool.release(slot)
            if end == .done { return }
        }
    }

    /// On a pool thread: commits groups on the slot's connection until the queue is empty or the
    /// connection is lost.
    private func drain(on slot: PostgresConnectionPool.Slot) -> DrainEnd {
        var (connection, fresh): (PostgresConnection, Bool)
        do {
            (connection, fresh) = try self.pool.connection(for: slot)
        } catch {
            self.failPending(error)
            return .done
        }
        while true {
            let group: [Operation] = self.pending.withLock { pending in
                let count = min(pending.operations.count, max(self.pool.configuration.maxGroupOperations, 1))
                if count == 0 { pending.draining = false }
                defer { pending.operations.removeFirst(count) }
                return Array(pending.operations.prefix(count))
            }
            guard !group.isEmpty else { return .done }
            let started = self.commit(group, on: connection, fresh: fresh)
            fresh = false
            if !started {
                // A connection that had been idle turned out lost before anything ran: the group goes
                // back to the front of the queue, for a new connection.
                self.pending.withLock { $0.operations.insert(contentsOf: group, at: 0) }
                return .reconnect
            }
            if connection.isBroken {
                let more = self.pending.withLock { pending in
                    if pending.operations.isEmpty { pending.draining = false }
                    return !pending.operations.isEmpty
                }
                return more ? .reconnect : .done
            }
        }
    }

    private func failPending(_ error: any Error) {
        let operations = self.pending.withLock { pending in
            defer { pending.operations.removeAll() }
            pending.draining = false
            return pending.operations
        }
        for operation in operations { operation.fail(error) }
    }

    // MARK: One group

    /// Writes one group in one transaction and tells every caller how it ended.
    /// - Returns: `false` when the transaction could not begin on a connection that was not just opened
    ///   because that connection is lost; the group was not touched then.
    private func commit(_ group: [Operation], on connection: PostgresConnection, fresh: Bool) -> Bool {
        let started = ContinuousClock.now
        let state = TransactionState()
        let transaction = PostgresTransaction(connection: connection, state: state, mode: .write, observer: self.observer)
        do throws(PostgresError) {
            // The audit chain's lock first, before any row: nearly every operation appends to the chain,
            // and a group that locked rows and then waited for the lock while another process's group
            // held the lock and waited for one of those rows would deadlock (both groups failing).
            try connection.execute("BEGIN; SELECT pg_advisory_xact_lock(\(PostgresTransaction.auditLockKey)); SAVEPOINT \(Self.savepoint)")
        } catch {
            if error.connectionBroken, !fresh { return false }
            self.observer.queryFailed(error)
            let failure = Self.surfaced(error)
            for operation in group { operation.fail(failure) }
            return true
        }
        state.holdAuditLockForTheTransaction()
        state.enterSavepoint()
        // Per operation run so far: its attempt, or `nil` when it was failed already.
        var attempts: [Attempt?] = []
        var lost: PostgresError?
        for (index, operation) in group.enumerated() {
            attempts.append(self.run(operation, transaction, connection))
            if connection.isBroken {
                lost = state.lastFailure ?? Self.lostError(connection)
                break
            }
            guard index < group.count - 1 else { break }
            do throws(PostgresError) {
                try connection.execute("RELEASE SAVEPOINT \(Self.savepoint); SAVEPOINT \(Self.savepoint)")
                state.releaseSavepoint()
                state.enterSavepoint()
            } catch {
                self.observer.queryFailed(error)
                lost = error
                break
            }
        }
        var commitError: PostgresError? = lost
        if lost == nil {
            state.releaseSavepoint()
            let queued = state.current.queuedTypes
            let sql = queued.isEmpty ? "COMMIT" : "\(QueuedChannel.notifyStatement(for: queued)); COMMIT"
            do throws(PostgresError) {
                let tag = try connection.execute(sql)
                if tag != "COMMIT" {
                    commitError = PostgresError(sqlState: "40000", message: "the transaction was rolled back instead of committed (\(tag))")
                }
            } catch {
                self.observer.queryFailed(error)
                commitError = error
            }
        }
        if let commitError {
            if !connection.isBroken { _ = try? connection.execute("ROLLBACK") }
            let failure = Self.surfaced(commitError)
            for (index, operation) in group.enumerated() {
                guard index < attempts.count else {
                    operation.fail(failure)
                    continue
                }
                guard let attempt = attempts[index] else { continue }
                // On a lost connection nothing was kept, whatever the body returned.
                if lost == nil { attempt.deliver(failure) } else { operation.fail(failure) }
            }
            self.onRollback()
        } else {
            for attempt in attempts { attempt?.deliver(nil) }
        }
        self.observer.groupCommitted(operations: group.count, duration: ContinuousClock.now - started, committed: commitError == nil)
        return true
    }

    /// Runs one operation in the open savepoint, again after a deadlock, and leaves the savepoint as the
    /// operation left it when it succeeded, or rolled back when it did not.
    /// - Returns: The attempt to deliver, or `nil` when the operation was already failed here.
    private func run(_ operation: Operation, _ transaction: PostgresTransaction, _ connection: PostgresConnection) -> Attempt? {
        var runs = 0
        while true {
            runs += 1
            transaction.state.lastFailure = nil
            let attempt = operation.attempt(transaction)
            // A body may catch a statement's error and carry on: PostgreSQL has failed the transaction then.
            let failedTransaction = connection.inFailedTransaction
            if attempt.error == nil, !failedTransaction { return attempt }
            if connection.isBroken { return attempt }
            do throws(PostgresError) {
                try connection.execute("ROLLBACK TO SAVEPOINT \(Self.savepoint)")
                transaction.state.rollBack(toDepth: 1)
            } catch {
                return attempt
            }
            let failure = transaction.state.lastFailure
            if let failure, failure.isTransient, runs < Self.maxRuns { continue }
            if attempt.error == nil {
                operation.fail(failure ?? PostgresError(sqlState: "25P02", message: "the operation left its transaction failed"))
                return nil
            }
            return attempt
        }
    }

    private static func lostError(_ connection: PostgresConnection) -> PostgresError {
        PostgresError(sqlState: PostgresError.ClientState.connectionLost, message: "the connection to \(connection.target) is lost", connectionBroken: true)
    }

    /// What a caller is told: ``StoreUnavailable`` when the database is out of reach.
    private static func surfaced(_ error: PostgresError) -> any Error {
        error.meansUnavailable ? StoreUnavailable("PostgreSQL is unavailable: \(error)") : error
    }
}
