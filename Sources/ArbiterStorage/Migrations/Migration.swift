/// One schema change, applied once, in version order, inside a transaction.
public struct Migration: Sendable, Equatable {
    /// Position in the sequence, from 1.
    public let version: Int
    /// Short name, from the file name (`0001_initial.sql` → `initial`).
    public let name: String
    /// The SQL to run.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// `0001_initial`, as the file is named.
    public var label: String {
        let digits = String(self.version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + self.name
    }

    /// FNV-1a over the SQL, to notice a migration edited after it was applied (not a security check).
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The migrations Arbiter ships for each backend.
public enum Migrations {
    /// For the embedded SQLite store.
    public static var sqlite: [Migration] { EmbeddedSchema.sqlite }
    /// For the PostgreSQL store.
    public static var postgres: [Migration] { EmbeddedSchema.postgres }
}
