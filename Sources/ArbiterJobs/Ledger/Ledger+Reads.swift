// What the API and the gauges read: each on the backend's readers, seeing the last commit.
extension Ledger: JobStore {
    public func job(id: String) async throws -> JobRecord? {
        try await self.read { transaction in try transaction.job(id: id) }
    }

    public func attempts(jobID: String) async throws -> [JobAttempt] {
        try await self.read { transaction in try transaction.attempts(jobID: jobID) }
    }

    public func pausedTypes() async throws -> Set<String> {
        try await self.read { transaction in try transaction.pausedTypes() }
    }

    public func countsByType() async throws -> [String: [JobState: Int]] {
        try await self.read { transaction in try transaction.countsByType() }
    }

    public func oldestQueuedByType() async throws -> [String: Int64] {
        try await self.read { transaction in try transaction.oldestQueuedByType() }
    }

    public func list(_ filter: JobFilter, after cursor: String?, limit: Int) async throws -> [JobRecord] {
        try await self.read { transaction in try transaction.jobs(filter, after: cursor, limit: limit) }
    }

    public func count(_ filter: JobFilter) async throws -> Int {
        try await self.read { transaction in try transaction.countJobs(filter) }
    }
}
