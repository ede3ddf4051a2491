import ArbiterJobs
import Foundation

extension SQLiteJobStore: WorkerStore {
    private static let workerColumns = """
        id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at,
        (SELECT COUNT(*) FROM jobs WHERE jobs.state = 'running' AND jobs.lease_worker_id = workers.id)
        """

    public func register(id: String, capabilities: [String], concurrency: Int, labels: [String: String], now: Int64) async throws -> WorkerRecord {
        try await self.run(now: now) { connection, audit in
            try connection.transaction {
                try connection.query(
                    """
                    INSERT INTO workers (id, capabilities, concurrency, labels, state, registered_at, last_heartbeat_at)
                    VALUES (?, ?, ?, ?, 'idle', ?, ?)
                    ON CONFLICT (id) DO UPDATE SET capabilities = excluded.capabilities, concurrency = excluded.concurrency,
                        labels = excluded.labels, state = 'idle', last_heartbeat_at = excluded.last_heartbeat_at
                    """,
                    [.text(id), .text(Self.encode(capabilities)), .integer(Int64(concurrency)), .text(Self.encode(labels)), .integer(now), .integer(now)])
                try audit.record(
                    "worker.registered", "worker", id, [("capabilities", Self.encode(capabilities)), ("concurrency", String(concurrency))])
                return try Self.loadWorker(id, connection)
            }
        }
    }

    public func heartbeat(workerID: String, jobs: [String]?, leaseMilliseconds: Int64, now: Int64) async throws -> WorkerRecord {
        try await self.run(now: now) { connection, audit in
            try connection.transaction {
                // A heartbeat is liveness, not audited, unless it brings an offline worker back.
                try connection.query("UPDATE workers SET state = 'idle' WHERE id = ? AND state = 'offline'", [.text(workerID)])
                if connection.changes > 0 { try audit.record("worker.online", "worker", workerID) }
                try connection.query("UPDATE workers SET last_heartbeat_at = ? WHERE id = ?", [.integer(now), .text(workerID)])
                if let jobs {
                    try connection.query(
                        """
                        UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at < ?
                            AND id IN (SELECT value FROM json_each(?))
                        """,
                        [.integer(now + leaseMilliseconds), .text(workerID), .integer(now + leaseMilliseconds), .text(Self.encode(jobs))])
                } else {
                    try connection.query(
                        "UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at < ?",
                        [.integer(now + leaseMilliseconds), .text(workerID), .integer(now + leaseMilliseconds)])
                }
                return try Self.loadWorker(workerID, connection)
            }
        }
    }

    public func workers() async throws -> [WorkerRecord] {
        try await self.read { connection in
            try connection.query("SELECT \(Self.workerColumns) FROM workers ORDER BY id").map(Self.decodeWorker)
        }
    }

    public func worker(id: String) async throws -> WorkerRecord? {
        try await self.read { connection in
            try connection.query("SELECT \(Self.workerColumns) FROM workers WHERE id = ?", [.text(id)]).first.map(Self.decodeWorker)
        }
    }

    public func drain(workerID: String, now: Int64) async throws -> WorkerRecord {
        try await self.run(now: now) { connection, audit in
            try connection.transaction {
                try connection.query("UPDATE workers SET state = 'draining' WHERE id = ? AND state != 'offline'", [.text(workerID)])
                if connection.changes > 0 { try audit.record("worker.drained", "worker", workerID) }
                return try Self.loadWorker(workerID, connection)
            }
        }
    }

    public func remove(workerID: String, now: Int64) async throws {
        _ = try await self.run(now: now) { connection, audit in
            try connection.transaction {
                _ = try Self.loadWorker(workerID, connection)
                try Self.expireLeases(of: [workerID], now: now, connection)
                try connection.query("DELETE FROM workers WHERE id = ?", [.text(workerID)])
                try audit.record("worker.removed", "worker", workerID)
            }
        }
    }

    public func endLeases(workerID: String, except keep: [String], now: Int64) async throws {
        // Only brings lease deadlines forward; the expiry that follows is what is audited.
        _ = try await self.run(now: now) { connection, _ in
            try connection.query(
                """
                UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at > ?
                    AND id NOT IN (SELECT value FROM json_each(?))
                """,
                [.integer(now), .text(workerID), .integer(now), .text(Self.encode(keep))])
        }
    }

    public func markOffline(silentSince cutoff: Int64, now: Int64) async throws -> [String] {
        try await self.run(now: now) { connection, audit in
            try connection.transaction {
                let silent = try connection.query(
                    "SELECT id FROM workers WHERE state != 'offline' AND last_heartbeat_at < ? ORDER BY id", [.integer(cutoff)]
                ).compactMap { $0[0].text }
                guard !silent.isEmpty else { return [] }
                for id in silent {
                    try connection.query("UPDATE workers SET state = 'offline' WHERE id = ?", [.text(id)])
                    try audit.record("worker.offline", "worker", id)
                }
                try Self.expireLeases(of: silent, now: now, connection)
                return silent
            }
        }
    }

    /// Brings the leases of these workers' running jobs to an end now; the next expiry pass requeues them.
    private static func expireLeases(of workers: [String], now: Int64, _ connection: SQLiteConnection) throws {
        for id in workers {
            try connection.query(
                "UPDATE jobs SET lease_expires_at = ? WHERE state = 'running' AND lease_worker_id = ? AND lease_expires_at > ?",
                [.integer(now), .text(id), .integer(now)])
        }
    }

    private static func loadWorker(_ id: String, _ connection: SQLiteConnection) throws -> WorkerRecord {
        guard let row = try connection.query("SELECT \(Self.workerColumns) FROM workers WHERE id = ?", [.text(id)]).first else {
            throw JobStoreError(.notFound, "worker \(id) is not registered")
        }
        return try self.decodeWorker(row)
    }

    private static func decodeWorker(_ row: [SQLiteValue]) throws -> WorkerRecord {
        guard let id = row[0].text, let stored = row[4].text.flatMap(WorkerState.init(rawValue:)) else {
            throw JobStoreError(.notFound, "a workers row could not be read")
        }
        let leased = Int(row[7].integer ?? 0)
        // Busy and idle are derived from the leases held; draining and offline are stored.
        let state: WorkerState = stored == .idle || stored == .busy ? (leased > 0 ? .busy : .idle) : stored
        let capabilities = (try? JSONSerialization.jsonObject(with: Data((row[1].text ?? "[]").utf8))) as? [String] ?? []
        let labels = (try? JSONSerialization.jsonObject(with: Data((row[3].text ?? "{}").utf8))) as? [String: String] ?? [:]
        return WorkerRecord(
            id: id, capabilities: capabilities, concurrency: Int(row[2].integer ?? 1), labels: labels, state: state,
            registeredAt: row[5].integer ?? 0, lastHeartbeatAt: row[6].integer ?? 0, leasedJobs: leased)
    }

    private static func encode(_ value: Any) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)) ?? "null"
    }
}
