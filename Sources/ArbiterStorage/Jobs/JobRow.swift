import ArbiterJobs
import Foundation

/// How a job is laid out in SQLite's `jobs` table (`tags` is a JSON array as text).
enum JobRow {
    static let columns = JobRecord.storedColumns

    static func decode(_ row: [SQLiteValue]) throws -> JobRecord {
        try JobRecord(stored: SQLiteRow(values: row), tags: self.decodeTags(row.count > 14 ? row[14].text : nil))
    }

    static func encodeTags(_ tags: [String]) -> String {
        guard !tags.isEmpty else { return "[]" }
        return (try? String(decoding: JSONSerialization.data(withJSONObject: tags), as: UTF8.self)) ?? "[]"
    }

    static func decodeTags(_ text: String?) -> [String] {
        // Most jobs have no tags: skip the JSON parser for them.
        guard let text, text != "[]", let tags = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else { return [] }
        return tags
    }
}

/// A SQLite row as ``JobRecord/init(stored:tags:)`` reads it.
struct SQLiteRow: StoredRow {
    let values: [SQLiteValue]
    var columnCount: Int { self.values.count }
    func text(_ column: Int) -> String? { self.values[column].text }
    func integer(_ column: Int) -> Int64? { self.values[column].integer }
}
