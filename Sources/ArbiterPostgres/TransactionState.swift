import ArbiterJobs

/// What one transaction holds besides its rows, level by level: level 0 is the transaction, each
/// savepoint opens the next. A savepoint rolled back takes back what was taken inside it, PostgreSQL
/// included: a transaction-level advisory lock taken after a savepoint is released by `ROLLBACK TO` it
/// (as every lock is, "consistent with the principle that ROLLBACK cancels all effects of the commands
/// since the savepoint"), so whether the audit lock is held is tracked per level too.
final class TransactionState {
    struct Level {
        /// Whether this transaction holds the audit chain's advisory lock.
        var holdsAuditLock = false
        /// The chain's head as this transaction sees it, once read under the lock (appends move it).
        var auditHead: AuditHead?
        var auditHeadKnown = false
        /// Job types announced as queued, sent with one `NOTIFY` just before `COMMIT`.
        var queuedTypes: Set<String> = []
    }

    private(set) var levels = [Level()]
    /// The last statement that failed in this transaction, to tell a failure worth running again
    /// (a deadlock) from one that is not.
    var lastFailure: PostgresError?

    /// The innermost level's state.
    var current: Level {
        get { self.levels[self.levels.count - 1] }
        set { self.levels[self.levels.count - 1] = newValue }
    }

    /// How many savepoints are open.
    var depth: Int { self.levels.count - 1 }

    /// The audit lock was taken before the first savepoint: no savepoint's rollback gives it back.
    func holdAuditLockForTheTransaction() {
        self.levels[0].holdsAuditLock = true
    }

    /// `SAVEPOINT`: the new level starts as its parent is.
    func enterSavepoint() {
        self.levels.append(self.current)
    }

    /// `RELEASE SAVEPOINT`: what the savepoint took now belongs to its parent.
    func releaseSavepoint() {
        guard self.levels.count > 1 else { return }
        let released = self.levels.removeLast()
        self.current = released
    }

    /// `ROLLBACK TO SAVEPOINT` at level `depth` (the savepoint stays open, back as it began; those inside
    /// it are gone).
    func rollBack(toDepth depth: Int) {
        guard depth >= 1, depth < self.levels.count else { return }
        self.levels.removeLast(self.levels.count - depth - 1)
        self.levels[depth] = self.levels[depth - 1]
    }

    /// `ROLLBACK TO SAVEPOINT` then `RELEASE SAVEPOINT` of the innermost savepoint.
    func discardSavepoint() {
        guard self.levels.count > 1 else { return }
        self.levels.removeLast()
    }
}
