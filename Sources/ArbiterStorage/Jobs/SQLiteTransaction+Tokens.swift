import ArbiterJobs

extension SQLiteTransaction {
    private static let tokenColumns = "id, name, role, worker_id, created_at, revoked_at"

    func insertToken(_ token: TokenRecord, hash: [UInt8]) throws {
        try self.connection.query(
            "INSERT INTO api_tokens (id, name, token_hash, role, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(token.id), .text(token.name), .blob(hash), .text(token.role.rawValue), SQLiteValue(token.workerID), .integer(token.createdAt)])
    }

    func token(hash: [UInt8]) throws -> TokenRecord? {
        try self.connection.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE token_hash = ?", [.blob(hash)]).first.map(Self.decodeToken)
    }

    func token(id: String) throws -> TokenRecord? {
        try self.connection.query("SELECT \(Self.tokenColumns) FROM api_tokens WHERE id = ?", [.text(id)]).first.map(Self.decodeToken)
    }

    func tokens() throws -> [TokenRecord] {
        try self.connection.query("SELECT \(Self.tokenColumns) FROM api_tokens ORDER BY id").map(Self.decodeToken)
    }

    func markTokenRevoked(id: String, at: Int64) throws -> Bool {
        try self.connection.query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(at), .text(id)])
        return self.connection.changes > 0
    }

    func tokenCount() throws -> Int {
        Int(try self.connection.query("SELECT COUNT(*) FROM api_tokens").first?[0].integer ?? 0)
    }

    private static func decodeToken(_ row: [SQLiteValue]) throws -> TokenRecord {
        guard let id = row[0].text, let role = row[2].text.flatMap(Role.init(rawValue:)) else {
            throw JobStoreError(.notFound, "an api_tokens row could not be read")
        }
        return TokenRecord(
            id: id, name: row[1].text ?? "", role: role, workerID: row[3].text, createdAt: row[4].integer ?? 0, revokedAt: row[5].integer)
    }
}
