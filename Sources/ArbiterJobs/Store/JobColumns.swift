/// A value as a SQL store writes it.
public enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    public init(_ value: Int64?) {
        self = value.map { .integer($0) } ?? .null
    }

    public init(_ value: String?) {
        self = value.map { .text($0) } ?? .null
    }
}

extension JobRecord {
    /// The `jobs` columns a transition may change, with their values here, where they differ from
    /// `old`: a store writes only these, so a change touches only the indexes it must.
    public func changedColumns(from old: JobRecord) -> [(column: String, value: StoreValue)] {
        var changed: [(column: String, value: StoreValue)] = []
        func note<T: Equatable>(_ column: String, _ new: T, _ before: T, _ value: StoreValue) {
            if new != before { changed.append((column, value)) }
        }
        note("state", self.state, old.state, .text(self.state.rawValue))
        note("run_at", self.runAt, old.runAt, .integer(self.runAt))
        note("attempt", self.attempt, old.attempt, .integer(Int64(self.attempt)))
        note("result", self.result, old.result, StoreValue(self.result))
        note("last_error", self.lastError, old.lastError, StoreValue(self.lastError))
        note("cancel_reason", self.cancelReason, old.cancelReason, StoreValue(self.cancelReason))
        note("lease_worker_id", self.lease?.workerID, old.lease?.workerID, StoreValue(self.lease?.workerID))
        note("lease_token", self.lease?.token, old.lease?.token, StoreValue(self.lease?.token))
        note("lease_expires_at", self.lease?.expiresAt, old.lease?.expiresAt, StoreValue(self.lease?.expiresAt))
        note("updated_at", self.updatedAt, old.updatedAt, .integer(self.updatedAt))
        note("queued_at", self.queuedAt, old.queuedAt, StoreValue(self.queuedAt))
        note("started_at", self.startedAt, old.startedAt, StoreValue(self.startedAt))
        note("finished_at", self.finishedAt, old.finishedAt, StoreValue(self.finishedAt))
        return changed
    }
}
