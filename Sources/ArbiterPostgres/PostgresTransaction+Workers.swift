import ArbiterJobs
import Foundation

extension PostgresTransaction {
    private static let workerColumns = """
        id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at,
        (SELECT COUNT(*) FROM jobs WHERE jobs.state = 'running' AND jobs.lease_worker_id = workers.id)
        """

    func worker(id: String) throws -> WorkerRecord? {
        try self.query("SELECT \(Self.workerColumns) FROM workers WHERE id = $1", [.text(id)]).first.map(Self.decodeWorker)
    }

    func workers() throws -> [WorkerRecord] {
        try self.query("SELECT \(Self.workerColumns) FROM workers ORDER BY id").map(Self.decodeWorker)
    }

    func storedWorkerState(id: String) throws -> WorkerState? {
        try self.query("SELECT state FROM workers WHERE id = $1", [.text(id)]).first?[0].text.flatMap(WorkerState.init(rawValue:))
    }

    func upsertWorker(id: String, capabilities: [String], concurrency: Int, labels: [String: String], at now: Int64) throws {
        try self.requireWrite()
        try self.query(
            """
            INSERT INTO workers (id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at)
            VALUES ($1, $2::text[], $3, $4, 'idle', $5, $5)
            ON CONFLICT (id) DO UPDATE SET capabilities = excluded.capabilities, concurrency = excluded.concurrency,
                labels = excluded.labels, state = 'idle', last_heartbeat_at = excluded.last_heartbeat_at
            """,
            [.text(id), .text(PostgresArrayLiteral.encode(capabilities)), .int64(Int64(concurrency)), .text(Self.encode(labels)), .int64(now)])
    }

    func setWorkerState(id: String, to state: WorkerState, from: [WorkerState]) throws -> Bool {
        try self.requireWrite()
        guard !from.isEmpty else { return false }
        try self.query(
            "UPDATE workers SET state = $1 WHERE id = $2 AND state = ANY($3::text[])",
            [.text(state.rawValue), .text(id), .text(PostgresArrayLiteral.encode(from.map(\.rawValue)))])
        return self.changes > 0
    }

    func touchWorker(id: String, at: Int64) throws {
        try self.requireWrite()
        try self.query("UPDATE workers SET last_heartbeat_at = $1 WHERE id = $2", [.int64(at), .text(id)])
    }

    func deleteWorker(id: String) throws {
        try self.requireWrite()
        try self.query("DELETE FROM workers WHERE id = $1", [.text(id)])
    }

    func silentWorkers(before cutoff: Int64) throws -> [String] {
        try self.query(
            "SELECT id FROM workers WHERE state != 'offline' AND last_heartbeat_at < $1 ORDER BY id", [.int64(cutoff)]
        ).compactMap { $0[0].text }
    }

    private static func decodeWorker(_ row: PostgresRow) throws -> WorkerRecord {
        guard let id = row[0].text, let stored = row[4].text.flatMap(WorkerState.init(rawValue:)) else {
            throw JobStoreError(.notFound, "a workers row could not be read")
        }
        let labels = (try? JSONSerialization.jsonObject(with: Data((row[3].text ?? "{}").utf8))) as? [String: String] ?? [:]
        return WorkerRecord(
            id: id, capabilities: row[1].text.map(PostgresArrayLiteral.decode) ?? [], concurrency: Int(row[2].int64 ?? 1), labels: labels,
            stored: stored, registeredAt: row[5].int64 ?? 0, lastHeartbeatAt: row[6].int64 ?? 0, leasedJobs: Int(row[7].int64 ?? 0))
    }

    /// Labels as JSON text with sorted keys, as the SQLite store writes them.
    private static func encode(_ labels: [String: String]) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys]), as: UTF8.self)) ?? "{}"
    }
}
