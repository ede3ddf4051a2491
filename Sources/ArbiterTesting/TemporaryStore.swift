import ArbiterJobs
import ArbiterStorage

/// A migrated SQLite store in a temporary directory, for tests that need a real one.
public enum TemporaryStore {
    /// Runs `body` with a ledger over a fresh, migrated store, then closes the ledger (whether or not
    /// `body` threw) and removes the directory.
    public static func with<T>(prefix: String, _ body: (Ledger) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        let path = directory.file("arbiter.db")
        _ = try SQLiteMigrator().migrate(try SQLiteConnection(path: path))
        let store = try Ledger.sqlite(path: path)
        let result: T
        do {
            result = try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
        return result
    }
}
