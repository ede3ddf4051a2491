import ArbiterJobs

extension PostgresTransaction {
    private static let auditColumns = "seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash"

    /// Takes the audit chain's advisory lock for this transaction, then reads the head under it. While
    /// the lock is held nobody else appends, so the head is kept and moved by this transaction's own
    /// appends instead of being read again. The lock is taken once per transaction; a savepoint rolled
    /// back that took it gave it back (see ``TransactionState``), and then it is taken again.
    func auditHeadForAppend() throws -> AuditHead? {
        guard self.mode == .write else { return try self.auditHead() }
        if !self.state.current.holdsAuditLock {
            try self.query("SELECT pg_advisory_xact_lock($1)", [.int64(Self.auditLockKey)])
            self.state.current.holdsAuditLock = true
            self.state.current.auditHeadKnown = false
        }
        if !self.state.current.auditHeadKnown {
            // A statement after the lock's: it sees every append committed before the lock was granted.
            self.state.current.auditHead = try self.auditHead()
            self.state.current.auditHeadKnown = true
        }
        return self.state.current.auditHead
    }

    func appendAudit(_ entry: AuditEntry) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO audit_logs (seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """,
            [.int64(entry.seq), .int64(entry.at), .text(entry.actor), .text(entry.action), .text(entry.subjectType), .text(entry.subjectID),
             .text(entry.details), .bytea(entry.prevHash), .bytea(entry.hash)])
        if self.state.current.holdsAuditLock {
            self.state.current.auditHead = AuditHead(seq: entry.seq, hash: entry.hash)
            self.state.current.auditHeadKnown = true
        }
    }

    func auditHead() throws -> AuditHead? {
        guard let row = try self.query("SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1").first, let seq = row[0].int64 else {
            return try self.auditAnchor()
        }
        return AuditHead(seq: seq, hash: row[1].bytes ?? [])
    }

    func auditAnchor() throws -> AuditHead? {
        guard let row = try self.query("SELECT seq, hash FROM audit_anchor WHERE id = 1").first, let seq = row[0].int64 else { return nil }
        return AuditHead(seq: seq, hash: row[1].bytes ?? [])
    }

    func archiveAudit(through anchor: AuditHead, at: Int64) throws {
        try self.requireWrite()
        try self.query("DELETE FROM audit_logs WHERE seq <= $1", [.int64(anchor.seq)])
        try self.query(
            """
            INSERT INTO audit_anchor (id, seq, hash, archived_at) VALUES (1, $1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, archived_at = excluded.archived_at
            """,
            [.int64(anchor.seq), .bytea(anchor.hash), .int64(at)])
    }

    func auditHash(seq: Int64) throws -> [UInt8]? {
        try self.query("SELECT hash FROM audit_logs WHERE seq = $1", [.int64(seq)]).first?[0].bytes
    }

    func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) throws -> [AuditEntry] {
        let conditions = PostgresFilter(.auditEntries(filter, after: cursor))
        let (sql, bound) = conditions.page(Self.auditColumns, from: "audit_logs", orderBy: "seq", limit: limit)
        return try self.query(sql, bound).map(Self.decodeAudit)
    }

    private static func decodeAudit(_ row: PostgresRow) throws -> AuditEntry {
        guard row.count >= 9, let seq = row[0].int64 else { throw JobStoreError(.notFound, "an audit_logs row could not be read") }
        return AuditEntry(
            seq: seq, at: row[1].int64 ?? 0, actor: row[2].text ?? "", action: row[3].text ?? "", subjectType: row[4].text ?? "",
            subjectID: row[5].text ?? "", details: row[6].text ?? "", prevHash: row[7].bytes ?? [], hash: row[8].bytes ?? [])
    }
}
