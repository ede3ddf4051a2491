import ArbiterJobs

/// How a job is laid out in PostgreSQL's `jobs` table: as in SQLite's, but `tags` is a `text[]`.
enum PostgresJobRow {
    static let columns = """
        id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms, timeout_ms, \
        idempotency_key, user_id, consent_scope, tags, result, last_error, cancel_reason, lease_worker_id, lease_token, \
        lease_expires_at, created_at, updated_at, finished_at, queued_at, started_at
        """

    static func decode(_ row: PostgresRow) throws -> JobRecord {
        guard row.count >= 26, let id = row[0].text, let type = row[1].text, let state = row[4].text.flatMap(JobState.init(rawValue:)) else {
            throw JobStoreError(.notFound, "a jobs row could not be read")
        }
        let lease = row[18].text.flatMap { worker in
            row[19].int64.map { JobLease(workerID: worker, token: $0, expiresAt: row[20].int64 ?? 0) }
        }
        return JobRecord(
            id: id, type: type, payload: row[2].text ?? "null", priority: Int(row[3].int64 ?? 0), state: state,
            runAt: row[5].int64 ?? 0, attempt: Int(row[6].int64 ?? 0),
            retry: RetryPolicy(
                maxAttempts: Int(row[7].int64 ?? 1), initialBackoff: .milliseconds(row[8].int64 ?? 0),
                maxBackoff: .milliseconds(row[9].int64 ?? 0), timeout: .milliseconds(row[10].int64 ?? 0)),
            idempotencyKey: row[11].text, userID: row[12].text, consentScope: row[13].text,
            tags: row[14].text.map(PostgresArrayLiteral.decode) ?? [],
            result: row[15].text, lastError: row[16].text, cancelReason: row[17].text, lease: lease,
            createdAt: row[21].int64 ?? 0, updatedAt: row[22].int64 ?? 0, finishedAt: row[23].int64,
            queuedAt: row[24].int64, startedAt: row[25].int64)
    }
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
