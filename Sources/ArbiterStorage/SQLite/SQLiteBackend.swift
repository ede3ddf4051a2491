import ArbiterJobs
import NIOPosix

/// The embedded store's backend: one SQLite file, written on a thread of its own with group commit
/// (see ``GroupCommitExecutor``: many operations share one transaction and one fsync), read on
/// another connection and thread (in WAL mode reads see the last commit and never hold up a commit).
/// This process is the file's only writer.
public final class SQLiteBackend: StoreBackend {
    private let executor: GroupCommitExecutor
    private let checkpointer: WALCheckpointer
    private let reader: SQLiteConnection
    private let readerThread: NIOThreadPool
    private let rollbacks = Listeners<Void>()

    /// Opens the store at `path`; the schema must already be migrated (see ``SQLiteMigrator``).
    /// - Parameter onCommit: Told the size and duration of every group commit (for metrics).
    /// - Throws: ``SQLiteError`` naming the file.
    public init(path: String, onCommit: @escaping @Sendable (_ operations: Int, _ duration: Duration) -> Void = { _, _ in }) throws {
        let connection = try SQLiteConnection(path: path)
        // Checkpoints run beside the commits, not inside them (see WALCheckpointer).
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        self.checkpointer = try WALCheckpointer(path: path)
        self.reader = try SQLiteConnection(path: path)
        self.readerThread = NIOThreadPool(numberOfThreads: 1)
        self.readerThread.start()
        let rollbacks = self.rollbacks
        self.executor = GroupCommitExecutor(connection: connection) { commit in
            if !commit.committed { rollbacks.call(()) }
            onCommit(commit.operations, commit.duration)
        }
    }

    public var soleWriter: Bool { true }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await self.executor.perform { connection in try body(SQLiteTransaction(connection: connection)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await self.readerThread.runIfActive { [reader] in try body(SQLiteTransaction(connection: reader)) }
    }

    public func onRollback(_ handler: @escaping @Sendable () -> Void) {
        self.rollbacks.add { _ in handler() }
    }

    /// One process writes a SQLite store, and its scheduler wakes its own dispatch loops.
    public func onQueued(_ handler: @escaping @Sendable (Set<String>?) -> Void) {}

    public func close() async throws {
        try await self.executor.shutdown()
        try await self.readerThread.shutdownGracefully()
        self.checkpointer.stop()
    }
}

extension Ledger {
    /// A ledger over the SQLite store at `path` (migrated already).
    /// - Throws: ``SQLiteError`` naming the file.
    public static func sqlite(
        path: String, options: LedgerOptions = LedgerOptions(),
        onCommit: @escaping @Sendable (_ operations: Int, _ duration: Duration) -> Void = { _, _ in }
    ) throws -> Ledger {
        Ledger(backend: try SQLiteBackend(path: path, onCommit: onCommit), options: options)
    }
}
