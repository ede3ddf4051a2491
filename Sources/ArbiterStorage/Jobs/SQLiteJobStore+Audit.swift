import ArbiterJobs

extension SQLiteJobStore: AuditStore {
    public func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await self.read { connection in try AuditLogReader.entries(filter, after: cursor, limit: limit, connection) }
    }

    public func verifyAudit() async throws -> AuditVerification {
        try await self.read { connection in try AuditLogReader.verify(connection) }
    }

    public func auditChainHead() async throws -> AuditHead? {
        try await self.read { connection in try AuditLogReader.head(connection) }
    }

    public func auditEntryHash(seq: Int64) async throws -> [UInt8]? {
        try await self.read { connection in try AuditLogReader.hash(seq: seq, connection) }
    }

    public func recordAuditEvent(action: String, subjectType: String, subjectID: String, details: [(String, String)], now: Int64) async throws {
        _ = try await self.run(now: now) { _, audit in try audit.record(action, subjectType, subjectID, details) }
    }
}
