/// Which store a test runs on: the embedded SQLite file or a PostgreSQL database.
public enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite
    case postgres

    /// The stores tests can run on here: SQLite, and PostgreSQL where it ``isAvailable``.
    public static var available: [StoreKind] {
        self.allCases.filter(\.isAvailable)
    }

    /// The name a test's arguments show.
    public var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// Whether tests on this store should run here: SQLite always, PostgreSQL where it is installed or
    /// required (``PostgresServer/shouldRun``).
    public var isAvailable: Bool {
        switch self {
        case .sqlite: true
        case .postgres: PostgresServer.shouldRun
        }
    }
}
