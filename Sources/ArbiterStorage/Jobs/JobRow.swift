import ArbiterJobs
import Foundation

/// How a job is laid out in the `jobs` table.
enum JobRow {
    static let columns = """
        id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms, timeout_ms, \
        idempotency_key, user_id, consent_scope, tags, result, last_error, cancel_reason, lease_worker_id, lease_token, \
        lease_expires_at, created_at, updated_at, finished_at, queued_at, started_at
        """

    static func decode(_ row: [SQLiteValue]) throws -> JobRecord {
        guard row.count >= 26, let id = row[0].text, let type = row[1].text, let stateText = row[4].text,
            let state = JobState(rawValue: stateText)
        else {
            throw JobStoreError(.notFound, "a jobs row could not be read")
        }
        let lease = row[18].text.flatMap { worker in
            row[19].integer.map { JobLease(workerID: worker, token: $0, expiresAt: row[20].integer ?? 0) }
        }
        return JobRecord(
            id: id, type: type, payload: row[2].text ?? "null", priority: Int(row[3].integer ?? 0), state: state,
            runAt: row[5].integer ?? 0, attempt: Int(row[6].integer ?? 0),
            retry: RetryPolicy(
                maxAttempts: Int(row[7].integer ?? 1), initialBackoff: .milliseconds(row[8].integer ?? 0),
                maxBackoff: .milliseconds(row[9].integer ?? 0), timeout: .milliseconds(row[10].integer ?? 0)),
            idempotencyKey: row[11].text, userID: row[12].text, consentScope: row[13].text, tags: self.decodeTags(row[14].text),
            result: row[15].text, lastError: row[16].text, cancelReason: row[17].text, lease: lease,
            createdAt: row[21].integer ?? 0, updatedAt: row[22].integer ?? 0, finishedAt: row[23].integer,
            queuedAt: row[24].integer, startedAt: row[25].integer)
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
