import ArbiterJobs

/// Writes the audit entries of one store operation, in that operation's transaction: if the entry
/// cannot be written the operation throws and everything it changed is rolled back (fail closed).
///
/// Entries are only written on the store's single writer thread inside `BEGIN IMMEDIATE`, and each
/// reads the chain's head in the same transaction, so two writers can never fork the chain; `seq`
/// is the primary key besides.
struct AuditTrail {
    let connection: SQLiteConnection
    /// Who is making the change (captured from ``AuditActor/current`` on the caller's task).
    let actor: String
    let now: Int64
    let observer: any AuditObserver
    /// `false` only when a benchmark measures the store without auditing.
    var enabled = true

    /// Appends one entry.
    /// - Throws: ``AuditWriteError`` when it cannot be written.
    func record(_ action: String, _ subjectType: String, _ subjectID: String, _ details: [(String, String)] = []) throws {
        guard self.enabled else { return }
        let started = ContinuousClock.now
        do {
            let head = try self.connection.query("SELECT seq, hash FROM audit_logs ORDER BY seq DESC LIMIT 1").first
            let seq = (head?[0].integer ?? 0) + 1
            let prevHash = head?[1].blob ?? AuditChain.genesis
            let details = AuditDetails.encode(details)
            let hash = AuditChain.hash(
                prevHash: prevHash, seq: seq, at: self.now, actor: self.actor, action: action, subjectType: subjectType, subjectID: subjectID,
                details: details)
            try self.connection.query(
                """
                INSERT INTO audit_logs (seq, at, actor, action, subject_type, subject_id, details, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.integer(seq), .integer(self.now), .text(self.actor), .text(action), .text(subjectType), .text(subjectID), .text(details),
                 .blob(prevHash), .blob(hash)])
        } catch {
            self.observer.failed()
            throw AuditWriteError("the audit log could not be written (\(error)), so the change was not made")
        }
        self.observer.written(action: action, duration: ContinuousClock.now - started)
    }
}
