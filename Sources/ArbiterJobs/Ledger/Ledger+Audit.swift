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

    /// Where the stored chain begins when older entries were archived.
    public func auditAnchor() async throws -> AuditHead? {
        try await self.read { transaction in try transaction.auditAnchor() }
    }

    /// Removes the stored entries up to `through` (an archive's last entry, whose hash must match the
    /// store's) in batches, each a transaction that moves the anchor, so the chain verifies from the
    /// anchor at every moment; then records `audit.archived` with `details`.
    /// - Parameter rest: Called after each batch with how long it took, before the next (a caller
    ///   beside a serving daemon rests so that the daemon's commits get the store in between).
    /// - Returns: How many entries were removed.
    /// - Throws: ``AuditArchive/Invalid`` when the entry is not in the store or differs from the archive's.
    public func archiveAudit(
        through: AuditHead, details: [(String, String)], now: Int64, batch: Int64 = 1000, rest: @Sendable (Duration) async -> Void = { _ in }
    ) async throws -> Int64 {
        let (anchor, stored) = try await self.read { transaction in (try transaction.auditAnchor(), try transaction.auditHash(seq: through.seq)) }
        let start = anchor?.seq ?? 0
        guard start < through.seq else {
            throw AuditArchive.Invalid("entries up to \(through.seq) are archived already (the store's chain begins after entry \(start))")
        }
        guard let stored, stored == through.hash else {
            throw AuditArchive.Invalid(
                stored == nil ? "entry \(through.seq) is not in the store" : "entry \(through.seq) differs from the archive's: the archive is not of this store")
        }
        var done = start
        while done < through.seq {
            let upTo = min(done + max(1, batch), through.seq)
            let started = ContinuousClock.now
            try await self.write(now: now) { transaction, _, _ in
                guard let hash = try transaction.auditHash(seq: upTo) else { throw AuditArchive.Invalid("entry \(upTo) is no longer in the store") }
                try transaction.archiveAudit(through: AuditHead(seq: upTo, hash: hash), at: now)
            }
            done = upTo
            if done < through.seq { await rest(ContinuousClock.now - started) }
        }
        _ = try await self.write(now: now) { _, audit, _ in try audit.record("audit.archived", "audit", "\(through.seq)", details) }
        return through.seq - start
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
        let anchor = try transaction.auditAnchor()
        var previousHash = anchor?.hash ?? AuditChain.genesis
        var expectedSeq = (anchor?.seq ?? 0) + 1
        while true {
            let page = try transaction.auditEntries(AuditFilter(), after: expectedSeq - 1, limit: 10_000)
            if page.isEmpty {
                let head = expectedSeq > 1 ? AuditHead(seq: expectedSeq - 1, hash: previousHash) : nil
                return AuditVerification(length: expectedSeq - 1, firstBroken: nil, head: head, anchor: anchor)
            }
            for entry in page {
                let length = expectedSeq - 1
                let head = length > 0 ? AuditHead(seq: length, hash: previousHash) : nil
                guard entry.seq == expectedSeq else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: expectedSeq, reason: "entry \(expectedSeq) is missing (the next is \(entry.seq))"), head: head,
                        anchor: anchor)
                }
                guard entry.prevHash == previousHash else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: entry.seq, reason: "prev_hash does not match the hash of entry \(entry.seq - 1)"), head: head,
                        anchor: anchor)
                }
                guard entry.hashMatchesContents else {
                    return AuditVerification(
                        length: length, firstBroken: .init(seq: entry.seq, reason: "the entry's contents do not match its hash"), head: head, anchor: anchor)
                }
                previousHash = entry.hash
                expectedSeq += 1
            }
        }
    }
}
