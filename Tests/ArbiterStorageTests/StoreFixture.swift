import ArbiterJobs
import ArbiterPostgres
import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// The stores the conformance suite runs against: every `StoreConformance…` test takes one of these.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// Runs `body` with a ledger over a fresh, migrated store of `kind`, and closes the ledger afterwards.
///
/// SQLite: a new file in a temporary directory. PostgreSQL: a new database on the server this test
/// process shares, dropped afterwards. A PostgreSQL case is cancelled (not failed) where PostgreSQL
/// is not installed and not required (see ``PostgresServer/shouldRun``).
func withStore(_ kind: StoreKind, options: LedgerOptions = .init(), _ body: (Ledger, StoreHandle) async throws -> Void) async throws {
    switch kind {
    case .sqlite:
        let directory = try TemporaryDirectory(prefix: "store")
        defer { directory.remove() }
        let path = directory.file("arbiter.db")
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: path))
        let handle = StoreHandle(kind: .sqlite, location: .sqlite(path: path))
        try await StoreHandle.run(try Ledger.sqlite(path: path, options: options), handle, body)
    case .postgres:
        guard PostgresServer.shouldRun else { try Test.cancel("PostgreSQL is not installed") }
        let server = try await SharedPostgres.server()
        await SharedPostgres.budget.acquire()
        do {
            let database = try await SharedPostgres.createDatabase(on: server)
            defer { SharedPostgres.dropDatabase(database, on: server) }
            let url = SharedPostgres.url(server, database)
            try await PostgresStore.migrate(url: url)
            let handle = StoreHandle(kind: .postgres, location: .postgres(server: server, database: database))
            try await StoreHandle.run(try await PostgresStore.ledger(url: url, options: options), handle, body)
        } catch {
            await SharedPostgres.budget.release()
            throw error
        }
        await SharedPostgres.budget.release()
    }
}

/// What a test reaches under the ledger with: raw SQL on the store it runs on, and more ledgers on
/// that same store (a second process, or one configured differently).
struct StoreHandle: Sendable {
    enum Location: Sendable {
        case sqlite(path: String)
        case postgres(server: PostgresServer, database: String)
    }

    let kind: StoreKind
    let location: Location

    /// Runs SQL that returns no rows on its own connection, outside any ledger.
    /// - Throws: What the database says when the SQL fails.
    func execute(_ sql: String) async throws {
        switch self.location {
        case .sqlite(let path):
            try SQLiteConnection(path: path).execute(sql)
        case .postgres(let server, let database):
            _ = try await SharedPostgres.psql(server, database: database, ["-c", sql])
        }
    }

    /// The first column of the first row of a query, as text (`""` when there is no row).
    func scalar(_ sql: String) async throws -> String {
        switch self.location {
        case .sqlite(let path):
            switch try SQLiteConnection(path: path).query(sql).first?.first {
            case .integer(let value)?: return String(value)
            case .real(let value)?: return String(value)
            case .text(let value)?: return value
            case .blob(let value)?: return value.map { String($0, radix: 16) }.joined()
            case .null?, nil: return ""
            }
        case .postgres(let server, let database):
            let output = try await SharedPostgres.psql(server, database: database, ["-A", "-t", "-c", sql])
            return output.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
    }

    /// Makes every audit append fail, as a full disk or a broken table would, until
    /// ``allowAuditWrites()``.
    func refuseAuditWrites() async throws {
        switch self.kind {
        case .sqlite:
            try await self.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_logs BEGIN SELECT RAISE(ABORT, 'audit disk full'); END")
        case .postgres:
            try await self.execute(
                """
                CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$;
                CREATE TRIGGER no_audit BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION no_audit();
                """)
        }
    }

    func allowAuditWrites() async throws {
        switch self.kind {
        case .sqlite: try await self.execute("DROP TRIGGER no_audit")
        case .postgres: try await self.execute("DROP TRIGGER no_audit ON audit_logs; DROP FUNCTION no_audit()")
        }
    }

    /// Runs `body` with another ledger on the same store, closed afterwards. On PostgreSQL it has
    /// backend and connections of its own: a second process. On SQLite, where one process is the
    /// file's only writer, use it only while the first ledger is idle.
    func withSecondLedger(options: LedgerOptions = .init(), _ body: (Ledger) async throws -> Void) async throws {
        let ledger: Ledger
        switch self.location {
        case .sqlite(let path):
            ledger = try Ledger.sqlite(path: path, options: options)
        case .postgres(let server, let database):
            ledger = try await PostgresStore.ledger(url: SharedPostgres.url(server, database), options: options)
        }
        try await Self.run(ledger, self, { ledger, _ in try await body(ledger) })
    }

    /// Runs `body` with `count` more ledgers on the same store (on PostgreSQL, each with its own
    /// connections, standing in for as many processes), and closes them all.
    func withLedgers(_ count: Int, _ body: ([Ledger]) async throws -> Void) async throws {
        var ledgers: [Ledger] = []
        do {
            for _ in 0..<count {
                switch self.location {
                case .sqlite(let path): ledgers.append(try Ledger.sqlite(path: path))
                case .postgres(let server, let database):
                    ledgers.append(try await PostgresStore.ledger(url: SharedPostgres.url(server, database), options: LedgerOptions()))
                }
            }
            try await body(ledgers)
        } catch {
            for ledger in ledgers { try? await ledger.close() }
            throw error
        }
        for ledger in ledgers { try await ledger.close() }
    }

    /// Runs `body` and closes `ledger` whether or not it threw.
    static func run(_ ledger: Ledger, _ handle: StoreHandle, _ body: (Ledger, StoreHandle) async throws -> Void) async throws {
        do {
            try await body(ledger, handle)
        } catch {
            try? await ledger.close()
            throw error
        }
        try await ledger.close()
    }
}

extension SharedPostgres {
    /// Tests on PostgreSQL at once: each ledger holds a pool of connections and a listener.
    static let budget = ConnectionBudget(slots: 6)
}

/// A counting semaphore for tests: at most `slots` holders at once, the rest wait in order.
actor ConnectionBudget {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) {
        self.free = slots
    }

    func acquire() async {
        if self.free > 0 {
            self.free -= 1
            return
        }
        await withCheckedContinuation { self.waiting.append($0) }
    }

    func release() {
        if self.waiting.isEmpty {
            self.free += 1
        } else {
            // The slot passes straight to the next waiter.
            self.waiting.removeFirst().resume()
        }
    }
}

// MARK: - PostgreSQL: every call into ArbiterPostgres is here
//
// Written against ArbiterPostgres as it stood when this suite was written; if its API moves, these two
// functions are all that change:
//   PostgresMigrator().migrate(_ configuration: PostgresConfiguration) async throws -> Report
//   Ledger.postgres(configuration: PostgresConfiguration, options: LedgerOptions) throws -> Ledger
//     (a Ledger over PostgresBackend(configuration:), pool of PostgresConfiguration's default size)
enum PostgresStore {
    /// Applies the schema to the database at `url`.
    static func migrate(url: String) async throws {
        _ = try await PostgresMigrator().migrate(PostgresConfiguration(url))
    }

    /// A ledger over a backend (connections, listener) of its own on the database at `url`.
    static func ledger(url: String, options: LedgerOptions) async throws -> Ledger {
        try Ledger.postgres(configuration: PostgresConfiguration(url), options: options)
    }
}
