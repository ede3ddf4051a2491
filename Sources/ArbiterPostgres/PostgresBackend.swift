import ArbiterJobs
import NIOPosix
import Synchronization

/// The PostgreSQL store's backend, for several Arbiter processes on one database.
///
/// libpq calls run on a thread pool of their own (one thread per connection), never on the Swift
/// concurrency pool. Writes are group-committed on one connection at a time (many operations to a
/// transaction, each in a savepoint of its own); reads take any free connection and run each statement
/// on its own. When PostgreSQL is down an operation fails within a few seconds with
/// ``StoreUnavailable`` (the connect timeout, or at once while the pool backs off), lost connections
/// are replaced as they are next needed, and service resumes by itself once the server is back.
/// Queued work is announced with `NOTIFY` at commit and heard on a connection of its own (see
/// ``onQueued(_:)``).
///
/// - Important: Call ``close()`` before dropping the backend; it stops its threads.
public final class PostgresBackend: StoreBackend {
    private let pool: PostgresConnectionPool
    private let threads: NIOThreadPool
    private let committer: PostgresGroupCommitter
    private let listener: PostgresListener
    private let tracker = WorkTracker()
    private let observer: any PostgresObserver
    private let rollbackHandlers = Listeners<Void>()
    private let closed = Atomic(false)

    /// Prepares the backend; connections are opened as operations need them. The schema must already be
    /// migrated (see ``PostgresMigrator``).
    /// - Parameters:
    ///   - configuration: Where the database is and how the pool behaves.
    ///   - observer: Told what the connections do, for metrics.
    /// - Throws: ``PostgresError`` when libpq cannot read the connection string.
    public init(configuration: PostgresConfiguration, observer: any PostgresObserver = NoPostgresObserver()) throws(PostgresError) {
        try PostgresConnector.validate(configuration)
        self.observer = observer
        self.pool = PostgresConnectionPool(configuration: configuration, observer: observer)
        self.threads = NIOThreadPool(numberOfThreads: max(configuration.poolSize, 1))
        self.threads.start()
        self.listener = PostgresListener(configuration: configuration, observer: observer)
        let handlers = self.rollbackHandlers
        self.committer = PostgresGroupCommitter(pool: self.pool, threads: self.threads, observer: observer) { handlers.call(()) }
    }

    /// Other processes write the same database.
    public var soleWriter: Bool { false }

    /// Runs `body` in the next group commit, in a savepoint of its own, and returns once the commit is
    /// durable.
    /// - Throws: What `body` throws; ``StoreUnavailable`` when PostgreSQL cannot be reached or the
    ///   backend is closed; ``PostgresError`` when the commit fails.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try self.tracker.enter()
        defer { self.tracker.leave() }
        return try await self.committer.perform(body)
    }

    /// Runs `body` on a free connection, each statement on its own: it sees every commit made before it.
    /// A connection that turns out lost (one that had been idle through a server restart) is replaced
    /// and `body` run once more.
    /// - Throws: What `body` throws; ``StoreUnavailable`` when PostgreSQL cannot be reached or the
    ///   backend is closed.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try self.tracker.enter()
        defer { self.tracker.leave() }
        let slot = try await self.pool.acquire()
        defer { self.pool.release(slot) }
        return try await self.threads.runIfActive { [pool, observer] in
            var (connection, fresh) = try pool.connection(for: slot)
            while true {
                do {
                    return try body(PostgresTransaction(connection: connection, state: TransactionState(), mode: .read, observer: observer))
                } catch {
                    guard connection.isBroken else { throw error }
                    guard !fresh else {
                        throw error as? StoreUnavailable ?? StoreUnavailable("PostgreSQL is unavailable: the connection to \(connection.target) is lost")
                    }
                    (connection, fresh) = try pool.connection(for: slot)
                    fresh = true
                }
            }
        }
    }

    /// Registers what to call when a group commit fails.
    public func onRollback(_ handler: @escaping @Sendable () -> Void) {
        self.rollbackHandlers.add { _ in handler() }
    }

    /// Registers a handler for queued work announced by any process on the database (this one
    /// included); the first starts the `LISTEN` connection. It is also called with `nil` whenever
    /// listening (re)starts, since announcements made meanwhile were missed.
    public func onQueued(_ handler: @escaping @Sendable (Set<String>?) -> Void) {
        self.listener.add(handler)
    }

    /// Finishes the operations already submitted, then closes every connection and stops the threads.
    public func close() async throws {
        await self.tracker.closeAndWait()
        guard !self.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await self.listener.stop()
        try await self.threads.runIfActive { [pool] in pool.close() }
        try await self.threads.shutdownGracefully()
    }
}

extension Ledger {
    /// A ledger over the PostgreSQL database `configuration` names (migrated already, see
    /// ``PostgresMigrator``).
    /// - Throws: ``PostgresError`` when libpq cannot read the connection string.
    public static func postgres(
        configuration: PostgresConfiguration, options: LedgerOptions = LedgerOptions(), observer: any PostgresObserver = NoPostgresObserver()
    ) throws -> Ledger {
        Ledger(backend: try PostgresBackend(configuration: configuration, observer: observer), options: options)
    }
}
