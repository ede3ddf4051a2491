import ArbiterCore

extension Ledger: TokenStore {
    public func createToken(name: String, role: Role, workerID: String?, hash: [UInt8], now: Int64) async throws -> TokenRecord {
        try await self.write(now: now) { transaction, audit, _ in
            let token = TokenRecord(id: UUIDv7.generate(now: now), name: name, role: role, workerID: workerID, createdAt: now, revokedAt: nil)
            try transaction.insertToken(token, hash: hash)
            var details = [("name", name), ("role", role.rawValue)]
            if let workerID { details.append(("worker_id", workerID)) }
            try audit.record("token.created", "token", token.id, details)
            return token
        }
    }

    public func token(hash: [UInt8]) async throws -> TokenRecord? {
        try await self.read { transaction in try transaction.token(hash: hash) }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await self.read { transaction in try transaction.tokens() }
    }

    public func revokeToken(id: String, now: Int64) async throws -> TokenRecord {
        try await self.write(now: now) { transaction, audit, _ in
            if try transaction.markTokenRevoked(id: id, at: now) { try audit.record("token.revoked", "token", id) }
            guard let token = try transaction.token(id: id) else { throw JobStoreError(.notFound, "token \(id) does not exist") }
            return token
        }
    }

    public func tokenCount() async throws -> Int {
        try await self.read { transaction in try transaction.tokenCount() }
    }
}
