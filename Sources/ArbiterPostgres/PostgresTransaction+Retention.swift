import ArbiterJobs

extension PostgresTransaction {
    /// Skips rows another transaction holds (a job being retried at this moment is not removed under it).
    func prunableJobs(_ cutoffs: RetentionCutoffs, limit: Int) throws -> [PrunedJob] {
        guard let conditions = StoreConditions.prunable(cutoffs) else { return [] }
        let (sql, bound) = PostgresFilter(conditions).page("id, type, state", from: "jobs", orderBy: "created_at, id", limit: limit)
        return try self.query(sql + self.forUpdateSkipLocked, bound).compactMap { row in
            guard let id = row[0].text, let type = row[1].text, let state = row[2].text.flatMap(JobState.init(rawValue:)) else { return nil }
            return PrunedJob(id: id, type: type, state: state)
        }
    }

    /// The attempts go with their job (`ON DELETE CASCADE`).
    func deleteJobs(ids: [String]) throws {
        try self.requireWrite()
        guard !ids.isEmpty else { return }
        try self.query("DELETE FROM jobs WHERE id = ANY($1::text[])", [.text(PostgresArrayLiteral.encode(ids))])
    }

    /// `pg_database_size`, and the planner's row estimates (counting would scan every table).
    func statistics() throws -> StoreStatistics {
        let size = try self.query("SELECT pg_database_size(current_database())").first?[0].int64 ?? 0
        var rows: [String: Int64] = ["jobs": 0, "job_attempts": 0, "audit_logs": 0]
        for row in try self.query(
            "SELECT relname::text, GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relkind = 'r' AND relname IN ('jobs', 'job_attempts', 'audit_logs') AND relnamespace = current_schema()::regnamespace")
        {
            if let table = row[0].text { rows[table] = row[1].int64 ?? 0 }
        }
        return StoreStatistics(sizeBytes: size, rows: rows)
    }
}
