import ArbiterHTTP
import ArbiterJobs
import ArbiterPostgres
import ArbiterStorage
import Logging
import NIOPosix

/// Brings the store to the schema this Arbiter ships, at start (`arbiter serve`) or on demand
/// (`arbiter migrate`), opens it, and reports it on `/health/detailed`: the embedded store at
/// `<data_dir>/arbiter.db`, or the PostgreSQL database `store` names.
public struct StoreMigration: Sendable {
    public let location: StoreLocation
    /// The SQLite file (used when the location is `sqlite`).
    public let path: String
    /// Connections a PostgreSQL store opens at most.
    public var poolSize = 4

    /// - Parameters:
    ///   - dataDirectory: The configured data directory.
    ///   - location: Where the jobs are kept.
    public init(dataDirectory: String, location: StoreLocation = .sqlite) {
        self.location = location
        self.path = dataDirectory.hasSuffix("/") ? dataDirectory + "arbiter.db" : dataDirectory + "/arbiter.db"
    }

    /// The store as messages name it: the file, or the database without its password.
    public var name: String {
        switch self.location {
        case .sqlite: self.path
        case .postgres: "\(self.location)"
        }
    }

    /// Applies pending migrations, off the Swift concurrency pool (SQLite and libpq block).
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``SQLiteError``, ``PostgresError`` or ``MigrationError``, naming the file, database or migration.
    public func run() async throws -> MigrationReport {
        switch self.location {
        case .sqlite:
            try await NIOThreadPool.singleton.runIfActive {
                let connection = try SQLiteConnection(path: self.path)
                return try SQLiteMigrator().migrate(connection)
            }
        case .postgres(let conninfo):
            try await PostgresMigrator().migrate(PostgresConfiguration(conninfo))
        }
    }

    /// Opens the ledger over the migrated store.
    /// - Parameters:
    ///   - onCommit: Told the size and duration of every group commit.
    ///   - observer: Told what PostgreSQL's connections do (not used for SQLite).
    public func open(
        options: LedgerOptions, observer: any PostgresObserver = NoPostgresObserver(),
        onCommit: @escaping @Sendable (_ operations: Int, _ duration: Duration) -> Void = { _, _ in }
    ) throws -> Ledger {
        switch self.location {
        case .sqlite:
            return try Ledger.sqlite(path: self.path, options: options, onCommit: onCommit)
        case .postgres(let conninfo):
            return try Ledger.postgres(configuration: PostgresConfiguration(conninfo, poolSize: self.poolSize), options: options, observer: observer)
        }
    }

    /// Logs the outcome of a run.
    func log(_ report: MigrationReport, to logger: Logger) {
        if report.applied.isEmpty {
            logger.info("store schema is up to date", metadata: ["store": "\(self.name)", "version": "\(report.version)"])
        } else {
            logger.notice(
                "store migrated",
                metadata: ["store": "\(self.name)", "applied": "\(report.applied.map(\.label).joined(separator: ","))", "version": "\(report.version)"])
        }
    }
}

/// The store on `/health/detailed` and `/readyz`: a read that must answer within a bound.
struct StoreHealth: HealthCheck {
    let migration: StoreMigration
    let version: Int
    let store: Ledger
    var name: String { "store" }
    var gatesReadiness: Bool { true }

    func check() async -> ComponentHealth {
        let kind = self.migration.location == .sqlite ? "sqlite" : "postgres"
        do {
            _ = try await self.store.tokenCount()
            return ComponentHealth(.ok, "\(kind) \(self.migration.name), schema version \(self.version)")
        } catch {
            return ComponentHealth(.down, "\(kind) \(self.migration.name) cannot be read: \(error)")
        }
    }
}
