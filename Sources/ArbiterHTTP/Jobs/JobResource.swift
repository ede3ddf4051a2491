import ArbiterCore
import ArbiterJobs
import Foundation

/// How a job looks in API responses. The lease token is never shown here: only the worker holding
/// the lease gets it.
enum JobResource {
    static func object(_ job: JobRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": job.id, "type": job.type, "priority": job.priority, "state": job.state.rawValue, "run_at": self.timestamp(job.runAt),
            "attempt": job.attempt, "max_attempts": job.retry.maxAttempts, "tags": job.tags, "dry_run": job.dryRun,
            "timeout": PrometheusDuration.format(job.retry.timeout),
            "backoff": ["initial": PrometheusDuration.format(job.retry.initialBackoff), "max": PrometheusDuration.format(job.retry.maxBackoff)],
            "created_at": self.timestamp(job.createdAt), "updated_at": self.timestamp(job.updatedAt),
        ]
        object["payload"] = RawJSON(text: job.payload)
        object["idempotency_key"] = job.idempotencyKey ?? NSNull()
        object["user_id"] = job.userID ?? NSNull()
        object["consent_scope"] = job.consentScope ?? NSNull()
        object["result"] = job.result.map { RawJSON(text: $0) } ?? NSNull()
        object["last_error"] = job.lastError ?? NSNull()
        object["cancel_reason"] = job.cancelReason ?? NSNull()
        object["finished_at"] = job.finishedAt.map(self.timestamp) ?? NSNull()
        object["lease"] = job.lease.map { ["worker_id": $0.workerID, "expires_at": self.timestamp($0.expiresAt)] as [String: Any] } ?? NSNull()
        return object
    }

    static func object(_ attempt: JobAttempt) -> [String: Any] {
        [
            "attempt": attempt.number, "worker_id": attempt.workerID, "started_at": self.timestamp(attempt.startedAt),
            "finished_at": attempt.finishedAt.map(self.timestamp) ?? NSNull(), "outcome": attempt.outcome ?? NSNull(),
            "error": attempt.error ?? NSNull(),
        ]
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ milliseconds: Int64) -> String {
        RFC3339.format(milliseconds: milliseconds)
    }
}
