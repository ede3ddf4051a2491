import ArbiterHTTP
import ArbiterStorage
import Logging
import NIOPosix

/// Brings the embedded store at `<data_dir>/arbiter.db` to the schema this Arbiter ships, at start
/// (`arbiter serve`) or on demand (`arbiter migrate`), and reports it on `/health/detailed`.
public struct StoreMigration: Sendable {
    /// The database file.
    public let path: String

    /// - Parameter dataDirectory: The configured data directory.
    public init(dataDirectory: String) {
        self.path = dataDirectory.hasSuffix("/") ? dataDirectory + "arbiter.db" : dataDirectory + "/arbiter.db"
    }

    /// Applies pending migrations on a thread of its own (SQLite blocks).
    /// - Returns: What was applied and the resulting version.
    /// - Throws: ``SQLiteError`` or ``MigrationError``, naming the file or the migration.
    public func run() async throws -> SQLiteMigrator.Report {
        try await NIOThreadPool.singleton.runIfActive {
            let connection = try SQLiteConnection(path: self.path)
            return try SQLiteMigrator().migrate(connection)
        }
    }

    /// Logs the outcome of a run.
    func log(_ report: SQLiteMigrator.Report, to logger: Logger) {
        if report.applied.isEmpty {
            logger.info("store schema is up to date", metadata: ["path": "\(self.path)", "version": "\(report.version)"])
        } else {
            logger.notice(
                "store migrated",
                metadata: ["path": "\(self.path)", "applied": "\(report.applied.map(\.label).joined(separator: ","))", "version": "\(report.version)"])
        }
    }
}

/// The embedded store on `/health/detailed`.
struct StoreHealth: HealthCheck {
    let path: String
    let version: Int
    var name: String { "store" }

    func check() async -> ComponentHealth {
        ComponentHealth(.ok, "sqlite \(self.path), schema version \(self.version)")
    }
}
