import Foundation
import Synchronization

extension ArbiterServer {
    /// Where a test server keeps its jobs, as a test reaches them from outside the daemon.
    public enum Store: Sendable {
        /// `arbiter.db` in the data directory.
        case sqlite(dataDirectory: String)
        /// A database on a PostgreSQL server.
        case postgres(PostgresServer, database: String)

        /// SQLite or PostgreSQL.
        public var kind: StoreKind {
            switch self {
            case .sqlite: .sqlite
            case .postgres: .postgres
            }
        }

        /// The PostgreSQL URL `serve --store` is given; `nil` for SQLite, the default.
        public var url: String? {
            switch self {
            case .sqlite: nil
            case .postgres(let server, let database): SharedPostgres.url(server, database)
            }
        }

        /// How an `arbiter` command that reads the store directly (`audit verify`, `migrate`) names
        /// it: `--data-dir DIR` or `--store URL`.
        public var commandLineArguments: [String] {
            switch self {
            case .sqlite(let dataDirectory): ["--data-dir", dataDirectory]
            case .postgres(let server, let database): ["--store", SharedPostgres.url(server, database)]
            }
        }

        /// Drops a PostgreSQL database a test is done with, and forgets the data directory that named
        /// it (nothing for SQLite: the file goes with its directory). A server on it must be stopped.
        public func drop() {
            guard case .postgres(let server, let database) = self else { return }
            Self.remembered.withLock { remembered in remembered = remembered.filter { $0.value.database != database } }
            SharedPostgres.dropDatabase(database, on: server)
        }

        /// The PostgreSQL database each data directory a server on PostgreSQL was started with uses,
        /// so that a server started again on that directory finds the same store.
        private static let remembered = Mutex<[String: (server: PostgresServer, database: String)]>([:])

        /// The store of a data directory before any server starts on it (to run a command such as
        /// `arbiter migrate` on it first): for PostgreSQL a new database, which servers later started on
        /// `dataDirectory` use.
        /// - Parameters:
        ///   - kind: SQLite or PostgreSQL.
        ///   - dataDirectory: The data directory the servers on the store will be given.
        ///   - postgres: The PostgreSQL server; the shared one (``SharedPostgres``) if `nil`.
        /// - Returns: The store.
        /// - Throws: ``TestingError`` when the database cannot be made.
        public static func make(_ kind: StoreKind, dataDirectory: String, postgres: PostgresServer? = nil) async throws -> Store {
            try await self.prepare(kind, dataDirectory: dataDirectory, reusable: true, postgres: postgres)
        }

        /// The store a server starting on `dataDirectory` uses: for PostgreSQL the database remembered
        /// for that directory, else a new one (remembered for it when the directory is `reusable`: a
        /// test's own, which another server may start on later).
        static func prepare(_ kind: StoreKind, dataDirectory: String, reusable: Bool, postgres: PostgresServer?) async throws -> Store {
            switch kind {
            case .sqlite:
                return .sqlite(dataDirectory: dataDirectory)
            case .postgres:
                let key = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
                if reusable, let known = Self.remembered.withLock({ $0[key] }) {
                    return .postgres(known.server, database: known.database)
                }
                let server: PostgresServer
                if let postgres {
                    server = postgres
                } else {
                    server = try await SharedPostgres.server()
                }
                let database = try await SharedPostgres.createDatabase(on: server)
                if reusable { Self.remembered.withLock { $0[key] = (server, database) } }
                return .postgres(server, database: database)
            }
        }
    }
}
