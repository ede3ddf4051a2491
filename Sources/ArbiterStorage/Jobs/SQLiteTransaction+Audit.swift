import ArbiterJobs

extension SQLiteTransaction {
    private static let auditColumns = "seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash"

    /// The store has one writer, inside `BEGIN IMMEDIATE`: the head it reads cannot move under it, so
    /// it is read once per transaction and then follows this transaction's own appends.
    func auditHeadForAppend() throws -> AuditHead? {
        if let known = self.connection.auditHeadInTransaction, self.connection.inTransaction {
            return known.map { AuditHead(seq: $0.seq, hash: $0.hash) }
        }
        let head = try self.auditHead()
        if self.connection.inTransaction { self.connection.auditHeadInTransaction = .some(head.map { ($0.seq, $0.hash) }) }
        return head
    }

    func appendAudit(_ entry: AuditEntry) throws {
        try self.connection.query(
            """
            INSERT INTO audit_logs (seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.integer(entry.seq), .integer(entry.at), .text(entry.actor), .text(entry.action), .text(entry.subjectType), .text(entry.subjectID),
             .text(entry.details), .blob(entry.prevHash), .blob(entry.hash)])
        if self.connection.inTransaction { self.connection.auditHeadInTransaction = .some((entry.seq, entry.hash)) }
    }

    func auditHead() throws -> AuditHead? {
        guard let row = try self.connection.query("SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1").first, let seq = row[0].integer else {
            return try self.auditAnchor()
        }
        return AuditHead(seq: seq, hash: row[1].blob ?? [])
    }

    func auditAnchor() throws -> AuditHead? {
        guard let row = try self.connection.query("SELECT seq, hash FROM audit_anchor WHERE id = 1").first, let seq = row[0].integer else { return nil }
        return AuditHead(seq: seq, hash: row[1].blob ?? [])
    }

    func archiveAudit(through anchor: AuditHead, at: Int64) throws {
        try self.connection.query("DELETE FROM audit_logs WHERE seq <= ?", [.integer(anchor.seq)])
        try self.connection.query(
            """
            INSERT INTO audit_anchor (id, seq, hash, archived_at) VALUES (1, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, archived_at = excluded.archived_at
            """,
            [.integer(anchor.seq), .blob(anchor.hash), .integer(at)])
    }

    func auditHash(seq: Int64) throws -> [UInt8]? {
        try self.connection.query("SELECT hash FROM audit_logs WHERE seq = ?", [.integer(seq)]).first?[0].blob
    }

    func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) throws -> [AuditEntry] {
        let conditions = SQLFilter(.auditEntries(filter, after: cursor))
        let (sql, bound) = conditions.page(Self.auditColumns, from: "audit_logs", orderBy: "seq", limit: limit)
        return try self.connection.query(sql, bound).map(Self.decodeAudit)
    }

    private static func decodeAudit(_ row: [SQLiteValue]) throws -> AuditEntry {
        guard row.count >= 9, let seq = row[0].integer else { throw JobStoreError(.notFound, "an audit_logs row could not be read") }
        return AuditEntry(
            seq: seq, at: row[1].integer ?? 0, actor: row[2].text ?? "", action: row[3].text ?? "", subjectType: row[4].text ?? "",
            subjectID: row[5].text ?? "", details: row[6].text ?? "", prevHash: row[7].blob ?? [], hash: row[8].blob ?? [])
    }
}
