import ArbiterJobs
import Testing

/// The audit log, the same on every store: written in the change's transaction, chained,
/// verifiable, tamper-evident and fail-closed.
@Suite struct StoreConformanceAuditTests {
    typealias Sample = StoreSamples

    static func submission(_ key: String? = nil) -> JobSubmission {
        JobSubmission(type: "email", payload: "{}", runAt: 1000, retry: Sample.retry, idempotencyKey: key, requestHash: key)
    }

    @Test(arguments: StoreKind.allCases)
    func anEmptyChainIsIntact(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let verification = try await store.verifyAudit()
            #expect(verification == AuditVerification(length: 0, firstBroken: nil, head: nil))
            #expect(try await store.auditChainHead() == nil)
            #expect(try await store.auditEntryHash(seq: 1) == nil)
            #expect(try await store.auditEntries(AuditFilter(), after: nil, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyTransitionIsAnEntryByItsActor(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let job = try await AuditActor.$current.withValue("token:ci") { try await store.submit(Self.submission(), now: 1000).job }
            let leased = try await AuditActor.$current.withValue("worker:w1") {
                try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1001)
            }
            _ = try await store.complete(id: job.id, token: try #require(leased.first?.lease?.token), result: nil, now: 1002)
            let entries = try await store.auditEntries(AuditFilter(subjectID: job.id), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["job.submitted", "job.leased", "job.succeeded"])
            #expect(entries.map(\.actor) == ["token:ci", "worker:w1", "system"])
            #expect(entries.map(\.at) == [1000, 1001, 1002] && entries.map(\.subjectType) == ["job", "job", "job"])
            #expect(entries[0].details == #"{"state":"queued","type":"email"}"#)
            #expect(entries[0].prevHash == AuditChain.genesis && entries[1].prevHash == entries[0].hash && entries[2].prevHash == entries[1].hash)
            let verification = try await store.verifyAudit()
            #expect(verification == AuditVerification(length: 3, firstBroken: nil, head: AuditHead(seq: 3, hash: entries[2].hash)))
        }
    }

    /// Every kind of change the ledger makes lands in one chain that verifies, entry by entry, and
    /// reads back by each filter.
    @Test(arguments: StoreKind.allCases)
    func theChainHoldsAcrossEveryKindOfChange(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, _ in
            let job = try await store.submit(Self.submission(), now: 1000).job
            let first = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1001)
            _ = try await store.fail(id: job.id, token: try #require(first.first?.lease?.token), error: "x", retryDelay: 0, now: 1002)
            _ = try await store.promoteDueJobs(now: 1003)
            let second = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1004)
            _ = try await store.complete(id: job.id, token: try #require(second.first?.lease?.token), result: nil, now: 1005)
            let other = try await store.submit(Self.submission(), now: 1006).job
            _ = try await AuditActor.$current.withValue("token:ops") { try await store.cancel(id: other.id, reason: "x", now: 1007) }
            _ = try await AuditActor.$current.withValue("token:ops") { try await store.retry(id: other.id, now: 1008) }
            try await store.setPaused(type: "email", paused: true, now: 1009)
            try await store.setPaused(type: "email", paused: false, now: 1010)
            _ = try await store.register(id: "w9", capabilities: ["email"], concurrency: 1, labels: [:], now: 1011)
            _ = try await store.markOffline(silentSince: 2000, now: 2000)
            _ = try await store.heartbeat(workerID: "w9", jobs: nil, leaseMilliseconds: 1000, now: 2001)
            _ = try await store.drain(workerID: "w9", now: 2002)
            try await store.remove(workerID: "w9", now: 2003)
            let consent = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 2004)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 2005)
            _ = try await store.revokeConsent(id: consent.id, now: 2006)
            _ = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: 3000, evidence: Sample.evidence, now: 2007)
            _ = try await store.expireConsents(now: 3000)
            let token = try await store.createToken(name: "ci", role: .viewer, workerID: nil, hash: Sample.tokenHash(1), now: 3001)
            _ = try await store.revokeToken(id: token.id, now: 3002)
            try await store.recordAuditEvent(action: "config.loaded", subjectType: "config", subjectID: "arbiter.yml", details: [("sha256", "ab")], now: 3003)
            _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 100, now: 3004)
            _ = try await store.endExpiredLeases(now: 4000)

            let entries = try await store.auditEntries(AuditFilter(), after: nil, limit: 1000)
            #expect(Set(entries.map(\.action)) == [
                "job.submitted", "job.leased", "job.failed", "job.queued", "job.succeeded", "job.cancelled", "job.retried", "job.lease_expired",
                "job_type.paused", "job_type.resumed", "worker.registered", "worker.offline", "worker.online", "worker.drained", "worker.removed",
                "consent.granted", "credential.stored", "consent.revoked", "credential.deleted", "consent.expired", "token.created",
                "token.revoked", "config.loaded",
            ])
            #expect(entries.map(\.seq) == Array(1...Int64(entries.count)))
            let last = try #require(entries.last)
            let verification = try await store.verifyAudit()
            let head = try await store.auditChainHead()
            #expect(verification.intact && verification.length == Int64(entries.count))
            #expect(verification.head == head && head == AuditHead(seq: last.seq, hash: last.hash))
            for entry in entries {
                #expect(try await store.auditEntryHash(seq: entry.seq) == entry.hash)
            }
            #expect(try await store.auditEntryHash(seq: Int64(entries.count) + 1) == nil)

            // Filters and pages.
            let byOperator = try await store.auditEntries(AuditFilter(actor: "token:ops"), after: nil, limit: 10)
            #expect(byOperator.map(\.action) == ["job.cancelled", "job.retried"])
            let workers = try await store.auditEntries(AuditFilter(subjectType: "worker"), after: nil, limit: 10)
            #expect(workers.map(\.action) == ["worker.registered", "worker.offline", "worker.online", "worker.drained", "worker.removed"])
            let window = try await store.auditEntries(AuditFilter(since: 2000, until: 2004), after: nil, limit: 10)
            #expect(window.map(\.action) == ["worker.offline", "worker.online", "worker.drained", "worker.removed"])
            let leases = try await store.auditEntries(AuditFilter(action: "job.leased", subjectID: job.id), after: nil, limit: 10)
            #expect(leases.count == 2)
            let config = try await store.auditEntries(AuditFilter(action: "config.loaded"), after: nil, limit: 10)
            #expect(config.map(\.details) == [#"{"sha256":"ab"}"#] && config.map(\.subjectType) == ["config"])
            let page = try await store.auditEntries(AuditFilter(), after: nil, limit: 5)
            let next = try await store.auditEntries(AuditFilter(), after: page.last?.seq, limit: 5)
            #expect(page.map(\.seq) == [1, 2, 3, 4, 5] && next.map(\.seq) == [6, 7, 8, 9, 10])
            let workerPage = try await store.auditEntries(AuditFilter(subjectType: "worker"), after: workers[1].seq, limit: 2)
            #expect(workerPage.map(\.action) == ["worker.online", "worker.drained"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func editingAnEntryIsCaughtAtThatEntry(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, handle in
            for _ in 0..<5 { _ = try await store.submit(Self.submission(), now: 1000) }
            try await handle.execute("UPDATE audit_logs SET actor = 'mallory' WHERE seq = 3")
            let verification = try await store.verifyAudit()
            #expect(verification.firstBroken?.seq == 3)
            #expect(verification.length == 2 && verification.head?.seq == 2)
            try await handle.execute("DELETE FROM audit_logs WHERE seq = 3")
            let cut = try await store.verifyAudit()
            #expect(cut.firstBroken == .init(seq: 3, reason: "entry 3 is missing (the next is 4)"))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aFailedAuditWriteUndoesTheChange(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, handle in
            let kept = try await store.submit(Self.submission(), now: 1000).job
            try await handle.refuseAuditWrites()
            await #expect(throws: AuditWriteError.self) { _ = try await store.submit(Self.submission(), now: 1001) }
            await #expect(throws: AuditWriteError.self) { _ = try await store.cancel(id: kept.id, reason: "test", now: 1002) }
            await #expect(throws: AuditWriteError.self) {
                _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1003)
            }
            await #expect(throws: AuditWriteError.self) {
                _ = try await store.createToken(name: "ci", role: .admin, workerID: nil, hash: Sample.tokenHash(1), now: 1004)
            }
            await #expect(throws: AuditWriteError.self) {
                _ = try await store.register(id: "w1", capabilities: ["email"], concurrency: 1, labels: [:], now: 1005)
            }
            await #expect(throws: AuditWriteError.self) { try await store.setPaused(type: "email", paused: true, now: 1006) }
            await #expect(throws: AuditWriteError.self) {
                _ = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1007)
            }
            #expect(try await store.list(JobFilter(), after: nil, limit: 10).map(\.id) == [kept.id])
            #expect(try await store.job(id: kept.id)?.state == .queued)
            #expect(try await store.consents(ConsentFilter(), after: nil, limit: 10, now: 1010).isEmpty)
            #expect(try await store.tokenCount() == 0)
            #expect(try await store.worker(id: "w1") == nil)
            #expect(try await store.pausedTypes().isEmpty)
            try await handle.allowAuditWrites()
            _ = try await store.cancel(id: kept.id, reason: "test", now: 1020)
            let whole = try await store.verifyAudit()
            #expect(whole.intact && whole.length == 2)
        }
    }

    /// Without auditing (only for measuring what it costs) nothing is written to the log.
    @Test(arguments: StoreKind.allCases)
    func auditingOffWritesNoEntries(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(auditing: false)) { store, _ in
            _ = try await store.submit(Self.submission(), now: 1000)
            #expect(try await store.auditChainHead() == nil)
            #expect(try await store.list(JobFilter(), after: nil, limit: 10).count == 1)
        }
    }
}
