import ArbiterJobs

/// Reads the `audit_logs` table: listings and the walk that re-checks every hash. Works on any
/// connection, so `arbiter audit verify --data-dir` can check a store no daemon is running on.
public enum AuditLogReader {
    static let columns = "seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash"

    /// A page of entries matching `filter`, oldest first, after `cursor`.
    public static func entries(_ filter: AuditFilter, after cursor: Int64?, limit: Int, _ connection: SQLiteConnection) throws -> [AuditEntry] {
        var conditions = SQLFilter()
        conditions.add("actor = ?", filter.actor.map { .text($0) })
        conditions.add("action = ?", filter.action.map { .text($0) })
        conditions.add("subject_type = ?", filter.subjectType.map { .text($0) })
        conditions.add("subject_id = ?", filter.subjectID.map { .text($0) })
        conditions.add("at >= ?", filter.since.map { .integer($0) })
        conditions.add("at < ?", filter.until.map { .integer($0) })
        conditions.add("seq > ?", cursor.map { .integer($0) })
        let (sql, bound) = conditions.page(self.columns, from: "audit_logs", orderBy: "seq", limit: limit)
        return try connection.query(sql, bound).map(self.decode)
    }

    /// How many entries the chain has (its last `seq`).
    public static func length(_ connection: SQLiteConnection) throws -> Int64 {
        try connection.query("SELECT COALESCE(MAX(seq), 0) FROM audit_logs").first?[0].integer ?? 0
    }

    /// The last entry's position and hash as stored; `nil` while the log is empty.
    public static func head(_ connection: SQLiteConnection) throws -> AuditHead? {
        guard let row = try connection.query("SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1").first, let seq = row[0].integer else {
            return nil
        }
        return AuditHead(seq: seq, hash: row[1].blob ?? [])
    }

    /// Entry `seq`'s hash as stored.
    public static func hash(seq: Int64, _ connection: SQLiteConnection) throws -> [UInt8]? {
        try connection.query("SELECT hash FROM audit_logs WHERE seq = ?", [.integer(seq)]).first?[0].blob
    }

    /// Walks the chain from the first entry, page by page, and stops at the first entry whose
    /// position, link or hash does not fit.
    public static func verify(_ connection: SQLiteConnection) throws -> AuditVerification {
        var previousHash = AuditChain.genesis
        var expectedSeq: Int64 = 1
        while true {
            let page = try connection.query(
                "SELECT \(self.columns) FROM audit_logs WHERE seq >= ? ORDER BY seq LIMIT 10000", [.integer(expectedSeq)])
            if page.isEmpty {
                let head = expectedSeq > 1 ? AuditHead(seq: expectedSeq - 1, hash: previousHash) : nil
                return AuditVerification(length: expectedSeq - 1, firstBroken: nil, head: head)
            }
            for row in page {
                let entry = try self.decode(row)
                let length = expectedSeq - 1
                guard entry.seq == expectedSeq else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: expectedSeq, reason: "entry \(expectedSeq) is missing (the next is \(entry.seq))"))
                }
                guard entry.prevHash == previousHash else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: entry.seq, reason: "prev_hash does not match the hash of entry \(entry.seq - 1)"))
                }
                let computed = AuditChain.hash(
                    prevHash: entry.prevHash, seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action,
                    subjectType: entry.subjectType, subjectID: entry.subjectID, details: entry.details)
                guard computed == entry.hash else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: entry.seq, reason: "the entry's contents do not match its hash"))
                }
                previousHash = entry.hash
                expectedSeq += 1
            }
        }
    }

    static func decode(_ row: [SQLiteValue]) throws -> AuditEntry {
        guard row.count >= 9, let seq = row[0].integer else { throw JobStoreError(.notFound, "an audit_logs row could not be read") }
        return AuditEntry(
            seq: seq, at: row[1].integer ?? 0, actor: row[2].text ?? "", action: row[3].text ?? "", subjectType: row[4].text ?? "",
            subjectID: row[5].text ?? "", details: row[6].text ?? "", prevHash: row[7].blob ?? [], hash: row[8].blob ?? [])
    }
}
