extension Ledger: AuditStore {
    public func auditEntries(_ filter: AuditFilter, after cursor: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await self.read { transaction in try transaction.auditEntries(filter, after: cursor, limit: limit) }
    }

    public func verifyAudit() async throws -> AuditVerification {
        try await self.read { transaction in try AuditVerifier.verify(transaction) }
    }

    public func auditChainHead() async throws -> AuditHead? {
        try await self.read { transaction in try transaction.auditHead() }
    }

    public func auditEntryHash(seq: Int64) async throws -> [UInt8]? {
        try await self.read { transaction in try transaction.auditHash(seq: seq) }
    }

    public func recordAuditEvent(action: String, subjectType: String, subjectID: String, details: [(String, String)], now: Int64) async throws {
        _ = try await self.write(now: now) { _, audit, _ in try audit.record(action, subjectType, subjectID, details) }
    }
}

/// Walks the audit chain from the first entry, page by page, recomputing every hash. Works on any
/// store's transaction, so `arbiter audit verify` can check a store no daemon is running on.
public enum AuditVerifier {
    /// Stops at the first entry whose position, link or hash does not fit.
    public static func verify(_ transaction: any StoreTransaction) throws -> AuditVerification {
        var previousHash = AuditChain.genesis
        var expectedSeq: Int64 = 1
        while true {
            let page = try transaction.auditEntries(AuditFilter(), after: expectedSeq - 1, limit: 10_000)
            if page.isEmpty {
                let head = expectedSeq > 1 ? AuditHead(seq: expectedSeq - 1, hash: previousHash) : nil
                return AuditVerification(length: expectedSeq - 1, firstBroken: nil, head: head)
            }
            for entry in page {
                let length = expectedSeq - 1
                let head = length > 0 ? AuditHead(seq: length, hash: previousHash) : nil
                guard entry.seq == expectedSeq else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: expectedSeq, reason: "entry \(expectedSeq) is missing (the next is \(entry.seq))"), head: head)
                }
                guard entry.prevHash == previousHash else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: entry.seq, reason: "prev_hash does not match the hash of entry \(entry.seq - 1)"), head: head)
                }
                let computed = AuditChain.hash(
                    prevHash: entry.prevHash, seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action,
                    subjectType: entry.subjectType, subjectID: entry.subjectID, details: entry.details)
                guard computed == entry.hash else {
                    return AuditVerification(length: length, firstBroken: .init(seq: entry.seq, reason: "the entry's contents do not match its hash"), head: head)
                }
                previousHash = entry.hash
                expectedSeq += 1
            }
        }
    }
}
