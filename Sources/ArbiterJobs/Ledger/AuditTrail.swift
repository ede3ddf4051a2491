/// Writes the audit entries of one operation, in that operation's transaction: if an entry cannot be
/// written the operation throws and everything it changed is rolled back (fail closed).
///
/// Each entry reads the chain's head through ``StoreTransaction/auditHeadForAppend()``, which holds
/// the chain for the transaction, so two writers never fork it; `seq` is the primary key besides.
struct AuditTrail {
    let transaction: any StoreTransaction
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
            let head = try self.transaction.auditHeadForAppend()
            let seq = (head?.seq ?? 0) + 1
            let prevHash = head?.hash ?? AuditChain.genesis
            let details = AuditDetails.encode(details)
            let hash = AuditChain.hash(
                prevHash: prevHash, seq: seq, at: self.now, actor: self.actor, action: action, subjectType: subjectType, subjectID: subjectID,
                details: details)
            try self.transaction.appendAudit(AuditEntry(
                seq: seq, at: self.now, actor: self.actor, action: action, subjectType: subjectType, subjectID: subjectID, details: details,
                prevHash: prevHash, hash: hash))
        } catch let unavailable as StoreUnavailable {
            self.observer.failed()
            throw unavailable
        } catch {
            self.observer.failed()
            throw AuditWriteError("the audit log could not be written (\(error)), so the change was not made")
        }
        self.observer.written(action: action, duration: ContinuousClock.now - started)
    }
}
