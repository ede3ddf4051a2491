import ArbiterCore
import ArbiterJobs

extension SQLiteJobStore: TokenStore {
    private static let tokenColumns = "id, name, role, worker_id, created_at, revoked_at"

    public func createToken(name: String, role: Role, workerID: String?, hash: [UInt8], now: Int64) async throws -> TokenRecord {
        try await self.run(now: now) { connection, audit in
            let id = UUIDv7.generate(now: now)
            try connection.query(
                "INSERT INTO api_tokens (id, name, token_hash, role, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(id), .text(name), .blob(hash), .text(role.rawValue), SQLiteValue(workerID), .integer(now)])
            var details = [("name", name), ("role", role.rawValue)]
            if let workerID { details.append(("worker_id", workerID)) }
            try audit.record("token.created", "token", id, details)
            return TokenRecord(id: id, name: name, role: role, workerID: workerID, createdAt: now, revokedAt: nil)
        }
    }

    public func token(hash: [UInt8]) async throws -> TokenRecord? {
        try await self.read { connection in
            try connection.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = ?", [.blob(hash)]).first.map(Self.decodeToken)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await self.read { connection in
            try connection.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY id").map(Self.decodeToken)
        }
    }

    public func revokeToken(id: String, now: Int64) async throws -> TokenRecord {
        try await self.run(now: now) { connection, audit in
            try connection.query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(now), .text(id)])
            if connection.changes > 0 { try audit.record("token.revoked", "token", id) }
            guard let row = try connection.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE id = ?", [.text(id)]).first else {
                throw JobStoreError(.notFound, "token \(id) does not exist")
            }
            return try Self.decodeToken(row)
        }
    }

    public func tokenCount() async throws -> Int {
        try await self.read { connection in Int(try connection.query("SELECT COUNT(*) FROM api_tokens").first?[0].integer ?? 0) }
    }

    private static func decodeToken(_ row: [SQLiteValue]) throws -> TokenRecord {
        guard let id = row[0].text, let role = row[2].text.flatMap(Role.init(rawValue:)) else {
            throw JobStoreError(.notFound, "an api_tokens row could not be read")
        }
        return TokenRecord(
            id: id, name: row[1].text ?? "", role: role, workerID: row[3].text, createdAt: row[4].integer ?? 0, revokedAt: row[5].integer)
    }
}
