import ArbiterJobs
import Foundation

extension SQLiteTransaction {
    func prunableJobs(_ cutoffs: RetentionCutoffs, limit: Int) throws -> [PrunedJob] {
        guard let conditions = StoreConditions.prunable(cutoffs) else { return [] }
        // Along the creation index, oldest first, so a batch reads about as many rows as it removes: left
        // to itself the planner takes the state index for the OR and sorts every finished job per batch.
        let (sql, bound) = SQLFilter(conditions).page("id, type, state", from: "jobs INDEXED BY jobs_listing", orderBy: "created_at, id", limit: limit)
        return try self.connection.query(sql, bound).compactMap { row in
            guard let id = row[0].text, let type = row[1].text, let state = row[2].text.flatMap(JobState.init(rawValue:)) else { return nil }
            return PrunedJob(id: id, type: type, state: state)
        }
    }

    /// The attempts go with their job (`ON DELETE CASCADE`, foreign keys on).
    func deleteJobs(ids: [String]) throws {
        guard !ids.isEmpty else { return }
        try self.connection.query("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))", [.text(JobRow.encodeTags(ids))])
    }

    /// The main file's pages and the write-ahead log's bytes; jobs and attempts counted (linear in
    /// each table), audit entries from the chain's ends (its `seq`s have no gaps).
    func statistics() throws -> StoreStatistics {
        let pages = try self.connection.query("PRAGMA page_count").first?[0].integer ?? 0
        let pageSize = try self.connection.query("PRAGMA page_size").first?[0].integer ?? 0
        let wal = (try? FileManager.default.attributesOfItem(atPath: self.connection.path + "-wal"))?[.size] as? Int64
        var rows: [String: Int64] = [:]
        for table in ["jobs", "job_attempts"] {
            rows[table] = try self.connection.query("SELECT COUNT(*) FROM \(table)").first?[0].integer ?? 0
        }
        rows["audit_logs"] = try self.connection.query(
            "SELECT COALESCE((SELECT MAX(seq) FROM audit_logs), 0) - COALESCE((SELECT MIN(seq) FROM audit_logs) - 1, 0)").first?[0].integer ?? 0
        return StoreStatistics(sizeBytes: pages * pageSize + (wal ?? 0), rows: rows)
    }
}
