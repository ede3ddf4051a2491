import ArbiterJobs

/// How a job is laid out in PostgreSQL's `jobs` table: as in SQLite's, but `tags` is a `text[]`.
enum PostgresJobRow {
    static let columns = JobRecord.storedColumns

    static func decode(_ row: PostgresRow) throws -> JobRecord {
        try JobRecord(stored: row, tags: row.columnCount > 14 ? row[14].text.map(PostgresArrayLiteral.decode) ?? [] : [])
    }
}

extension PostgresRow: StoredRow {
    public var columnCount: Int { self.count }
    public func text(_ column: Int) -> String? { self[column].text }
    public func integer(_ column: Int) -> Int64? { self[column].int64 }
}

extension PostgresValue {
    init(_ value: StoreValue) {
        switch value {
        case .null: self = .null
        case .integer(let integer): self = .int64(integer)
        case .text(let text): self = .text(text)
        }
    }
}
