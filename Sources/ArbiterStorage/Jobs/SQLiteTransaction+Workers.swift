import ArbiterJobs
import Foundation

extension SQLiteTransaction {
    private static let workerColumns = """
        id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at,
        (SELECT COUNT(*) FROM jobs WHERE jobs.state = 'running' AND jobs.lease_worker_id = workers.id)
        """

    func worker(id: String) throws -> WorkerRecord? {
        try self.connection.query("SELECT \(Self.workerColumns) FROM workers WHERE id = ?", [.text(id)]).first.map(Self.decodeWorker)
    }

    func workers() throws -> [WorkerRecord] {
        try self.connection.query("SELECT \(Self.workerColumns) FROM workers ORDER BY id").map(Self.decodeWorker)
    }

    func storedWorkerState(id: String) throws -> WorkerState? {
        try self.connection.query("SELECT state FROM workers WHERE id = ?", [.text(id)]).first?[0].text.flatMap(WorkerState.init(rawValue:))
    }

    func upsertWorker(id: String, capabilities: [String], concurrency: Int, labels: [String: String], at now: Int64) throws {
        try self.connection.query(
            """
            INSERT INTO workers (id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at)
            VALUES (?, ?, ?, ?, 'idle', ?, ?)
            ON CONFLICT (id) DO UPDATE SET capabilities = excluded.capabilities, concurrency = excluded.concurrency,
                labels = excluded.labels, state = 'idle', last_heartbeat_at = excluded.last_heartbeat_at
            """,
            [.text(id), .text(Self.encode(capabilities)), .integer(Int64(concurrency)), .text(Self.encode(labels)), .integer(now), .integer(now)])
    }

    func setWorkerState(id: String, to state: WorkerState, from: [WorkerState]) throws -> Bool {
        try self.connection.query(
            "UPDATE workers SET state = ? WHERE id = ? AND state IN (\(Self.placeholders(from.count)))",
            [.text(state.rawValue), .text(id)] + from.map { .text($0.rawValue) })
        return self.connection.changes > 0
    }

    func touchWorker(id: String, at: Int64) throws {
        try self.connection.query("UPDATE workers SET last_heartbeat_at = ? WHERE id = ?", [.integer(at), .text(id)])
    }

    func deleteWorker(id: String) throws {
        try self.connection.query("DELETE FROM workers WHERE id = ?", [.text(id)])
    }

    func silentWorkers(before cutoff: Int64) throws -> [String] {
        try self.connection.query(
            "SELECT id FROM workers WHERE state != 'offline' AND last_heartbeat_at < ? ORDER BY id", [.integer(cutoff)]
        ).compactMap { $0[0].text }
    }

    private static func decodeWorker(_ row: [SQLiteValue]) throws -> WorkerRecord {
        guard let id = row[0].text, let stored = row[4].text.flatMap(WorkerState.init(rawValue:)) else {
            throw JobStoreError(.notFound, "a workers row could not be read")
        }
        let capabilities = (try? JSONSerialization.jsonObject(with: Data((row[1].text ?? "[]").utf8))) as? [String] ?? []
        let labels = (try? JSONSerialization.jsonObject(with: Data((row[3].text ?? "{}").utf8))) as? [String: String] ?? [:]
        return WorkerRecord(
            id: id, capabilities: capabilities, concurrency: Int(row[2].integer ?? 1), labels: labels, stored: stored,
            registeredAt: row[5].integer ?? 0, lastHeartbeatAt: row[6].integer ?? 0, leasedJobs: Int(row[7].integer ?? 0))
    }

    private static func encode(_ value: Any) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)) ?? "null"
    }
}
