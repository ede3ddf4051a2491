import ArbiterStorage
import ArbiterTesting
import Foundation

/// SQL on a test server's store from outside the daemon, the same on SQLite and PostgreSQL: what a
/// test checks in the store itself, or an operator with the database does to it.
extension ArbiterServer.Store {
    /// The rows of a query, every value as text (`""` for NULL).
    /// - Throws: What the database says when the SQL fails.
    func rows(_ sql: String) async throws -> [[String]] {
        switch self {
        case .sqlite(let dataDirectory):
            return try SQLiteConnection(path: dataDirectory + "/arbiter.db").query(sql).map { $0.map(Self.text) }
        case .postgres(let server, let database):
            let separator = "\u{1F}"
            let output = try await SharedPostgres.psql(server, database: database, ["-A", "-t", "-F", separator, "-c", sql])
            return output.split(separator: "\n").map { $0.split(separator: separator, omittingEmptySubsequences: false).map(String.init) }
        }
    }

    /// The first column of the first row of a query as a number (a `COUNT(*)`).
    /// - Throws: What the database says, or ``TestingError`` when the answer is not a number.
    func count(_ sql: String) async throws -> Int {
        let rows = try await self.rows(sql)
        guard let text = rows.first?.first, let value = Int(text) else { throw TestingError("\(sql) answered \(rows)") }
        return value
    }

    /// Runs SQL that returns no rows.
    /// - Throws: What the database says when the SQL fails.
    func execute(_ sql: String) async throws {
        switch self {
        case .sqlite(let dataDirectory):
            try SQLiteConnection(path: dataDirectory + "/arbiter.db").execute(sql)
        case .postgres(let server, let database):
            _ = try await SharedPostgres.psql(server, database: database, ["-c", sql])
        }
    }

    private static func text(_ value: SQLiteValue) -> String {
        switch value {
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): value
        case .blob(let value): value.map { String($0, radix: 16) }.joined()
        case .null: ""
        }
    }
}
