/// One row as a store reads it, by column position.
public protocol StoredRow {
    var columnCount: Int { get }
    func text(_ column: Int) -> String?
    func integer(_ column: Int) -> Int64?
}

extension JobRecord {
    /// The `jobs` columns every store reads a job from, in the order ``init(stored:tags:)`` expects.
    public static let storedColumns = """
        id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms, timeout_ms, \
        idempotency_key, user_id, consent_scope, tags, result, last_error, cancel_reason, lease_worker_id, lease_token, \
        lease_expires_at, created_at, updated_at, finished_at, queued_at, started_at, dry_run
        """

    /// A job from a row of ``storedColumns``; `tags` is column 14 as the store decoded it (its type
    /// differs between stores).
    /// - Throws: ``JobStoreError`` when the row is not a job.
    public init(stored row: some StoredRow, tags: [String]) throws {
        guard row.columnCount >= 27, let id = row.text(0), let type = row.text(1), let state = row.text(4).flatMap(JobState.init(rawValue:)) else {
            throw JobStoreError(.notFound, "a jobs row could not be read")
        }
        let lease = row.text(18).flatMap { worker in
            row.integer(19).map { JobLease(workerID: worker, token: $0, expiresAt: row.integer(20) ?? 0) }
        }
        self.init(
            id: id, type: type, payload: row.text(2) ?? "null", priority: Int(row.integer(3) ?? 0), state: state,
            runAt: row.integer(5) ?? 0, attempt: Int(row.integer(6) ?? 0),
            retry: RetryPolicy(
                maxAttempts: Int(row.integer(7) ?? 1), initialBackoff: .milliseconds(row.integer(8) ?? 0),
                maxBackoff: .milliseconds(row.integer(9) ?? 0), timeout: .milliseconds(row.integer(10) ?? 0)),
            idempotencyKey: row.text(11), userID: row.text(12), consentScope: row.text(13), tags: tags,
            result: row.text(15), lastError: row.text(16), cancelReason: row.text(17), lease: lease,
            createdAt: row.integer(21) ?? 0, updatedAt: row.integer(22) ?? 0, finishedAt: row.integer(23),
            queuedAt: row.integer(24), startedAt: row.integer(25), dryRun: row.integer(26) == 1)
    }
}
