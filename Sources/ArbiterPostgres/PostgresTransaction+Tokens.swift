import ArbiterJobs

extension PostgresTransaction {
    private static let tokenColumns = "id, name, role, worker_id, created_at, revoked_at"

    func insertToken(_ token: TokenRecord, hash: [UInt8]) throws {
        try self.requireWrite()
        try self.query(
            "INSERT INTO api_tokens (id, name, token_hash, role, worker_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [.text(token.id), .text(token.name), .bytea(hash), .text(token.role.rawValue), PostgresValue(token.workerID), .int64(token.createdAt)])
    }

    func token(hash: [UInt8]) throws -> TokenRecord? {
        try self.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = $1", [.bytea(hash)]).first.map(Self.decodeToken)
    }

    func token(id: String) throws -> TokenRecord? {
        try self.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE id = $1", [.text(id)]).first.map(Self.decodeToken)
    }

    func tokens() throws -> [TokenRecord] {
        try self.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY id").map(Self.decodeToken)
    }

    func markTokenRevoked(id: String, at: Int64) throws -> Bool {
        try self.requireWrite()
        try self.query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [.int64(at), .text(id)])
        return self.changes > 0
    }

    func tokenCount() throws -> Int {
        Int(try self.query("SELECT COUNT(*) FROM api_tokens").first?[0].int64 ?? 0)
    }

    private static func decodeToken(_ row: PostgresRow) throws -> TokenRecord {
        guard let id = row[0].text, let role = row[2].text.flatMap(Role.init(rawValue:)) else {
            throw JobStoreError(.notFound, "an api_tokens row could not be read")
        }
        return TokenRecord(
            id: id, name: row[1].text ?? "", role: role, workerID: row[3].text, createdAt: row[4].int64 ?? 0, revokedAt: row[5].int64)
    }
}
