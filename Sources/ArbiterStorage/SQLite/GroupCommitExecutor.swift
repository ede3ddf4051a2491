import NIOPosix
import Synchronization

/// Runs store operations on one thread of its own, many to a transaction.
///
/// Operations that arrive while a transaction is being written wait and then go together into the
/// next one: each runs in a savepoint of that transaction (so a refused operation undoes only itself),
/// and one `COMMIT` — one fsync of the WAL — makes the whole group durable before any caller hears
/// back. Throughput under concurrency is therefore not one fsync per job, while a caller still only
/// sees success once its change is on disk.
// Safety (@unchecked Sendable): `connection` is only used on the single thread of `thread`; the
// pending queue is behind a mutex.
final class GroupCommitExecutor: @unchecked Sendable {
    /// What a group commit did, for metrics.
    struct Commit: Sendable {
        var operations: Int
        var duration: Duration
        /// `false` when the COMMIT failed and the group was rolled back.
        var committed = true
    }

    private struct Pending {
        var operations: [Operation] = []
        var draining = false
    }

    /// One queued operation: `run` executes it on the store thread and hands back how to report its
    /// result once the group's commit is known; `fail` reports an error when it never ran.
    private struct Operation: Sendable {
        let run: @Sendable (SQLiteConnection) -> @Sendable ((any Error)?) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private let connection: SQLiteConnection
    private let thread: NIOThreadPool
    private let pending = Mutex(Pending())
    private let maxOperations: Int
    private let onCommit: @Sendable (Commit) -> Void

    init(connection: SQLiteConnection, maxOperations: Int = 1024, onCommit: @escaping @Sendable (Commit) -> Void) {
        self.connection = connection
        self.maxOperations = maxOperations
        self.onCommit = onCommit
        self.thread = NIOThreadPool(numberOfThreads: 1)
        self.thread.start()
    }

    func shutdown() async throws {
        try await self.thread.shutdownGracefully()
    }

    /// Runs `body` atomically in the next group commit and returns once that commit is durable.
    func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let operation = Operation(
                run: { connection in
                    let result = Result { try connection.transaction { try body(connection) } }
                    return { commitError in
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
            if startDrain { self.scheduleDrain() }
        }
    }

    private func scheduleDrain() {
        self.thread.submit { state in
            guard case .active = state else {
                self.failPending(CancellationError())
                return
            }
            self.drain()
        }
    }

    /// Commits groups until the queue is empty.
    private func drain() {
        while true {
            let group: [Operation] = self.pending.withLock { pending in
                let count = min(pending.operations.count, self.maxOperations)
                if count == 0 { pending.draining = false }
                defer { pending.operations.removeFirst(count) }
                return Array(pending.operations.prefix(count))
            }
            guard !group.isEmpty else { return }
            self.commit(group)
        }
    }

    private func commit(_ group: [Operation]) {
        let started = ContinuousClock.now
        do {
            try self.connection.beginGroup()
        } catch {
            for operation in group { operation.fail(error) }
            return
        }
        let reports = group.map { $0.run(self.connection) }
        var commitError: (any Error)?
        do {
            try self.connection.endGroup(commit: true)
        } catch {
            commitError = error
            try? self.connection.endGroup(commit: false)
        }
        for report in reports { report(commitError) }
        self.onCommit(Commit(operations: group.count, duration: ContinuousClock.now - started, committed: commitError == nil))
    }

    private func failPending(_ error: any Error) {
        let operations = self.pending.withLock { pending in
            defer { pending.operations.removeAll() }
            pending.draining = false
            return pending.operations
        }
        for operation in operations { operation.fail(error) }
    }
}
