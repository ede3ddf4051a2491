import ArbiterJobs
import ArbiterTesting
import Testing

/// Many writers at once, the same on every store: one idempotency key makes one job, and the audit
/// chain never forks. On PostgreSQL two ledgers on one database stand in for two processes.
@Suite struct StoreConformanceConcurrencyTests {
    typealias Sample = StoreSamples

    /// How one of many racing submissions ended.
    enum Ending: Hashable, Sendable {
        case created(String)
        case existing(String)
        case conflict
    }

    static func submit(_ submission: JobSubmission, to store: Ledger) async throws -> Ending {
        do {
            switch try await store.submit(submission, now: 1000) {
            case .created(let job): return .created(job.id)
            case .existing(let job): return .existing(job.id)
            }
        } catch let refusal as JobStoreError where refusal.code == .idempotencyConflict {
            return .conflict
        }
    }

    /// Submits `submissions` from one task each, spread over `stores` in turn.
    static func race(_ submissions: [JobSubmission], over stores: [Ledger]) async throws -> [Ending] {
        try await withThrowingTaskGroup(of: Ending.self) { group in
            for (index, submission) in submissions.enumerated() {
                let store = stores[index % stores.count]
                group.addTask { try await Self.submit(submission, to: store) }
            }
            var endings: [Ending] = []
            for try await ending in group { endings.append(ending) }
            return endings
        }
    }

    /// Exactly one submission created `key`'s job; every other one got that job back, or a conflict
    /// when its request differed.
    static func expectOneJob(_ endings: [Ending], sameRequest: Bool) {
        let created = endings.compactMap { ending -> String? in
            if case .created(let id) = ending { return id }
            return nil
        }
        #expect(endings.count == 16 && created.count == 1)
        guard let id = created.first else { return }
        let expected: Ending = sameRequest ? .existing(id) : .conflict
        let others = endings.filter { $0 != .created(id) }
        #expect(others == Array(repeating: expected, count: 15))
    }

    @Test(arguments: StoreKind.allCases)
    func oneIdempotencyKeyFromSixteenTasksMakesOneJob(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let same = try await Self.race(Array(repeating: Sample.submission(key: "order-42", hash: "h"), count: 16), over: [store])
            Self.expectOneJob(same, sameRequest: true)
            let different = try await Self.race((0..<16).map { Sample.submission(key: "order-43", hash: "h\($0)") }, over: [store])
            Self.expectOneJob(different, sameRequest: false)
            #expect(try await store.list(JobFilter(), after: nil, limit: 100).count == 2)
            let audit = try await store.verifyAudit()
            #expect(audit.intact && audit.length == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentSubmissionsNeverForkTheChain(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    let key = "k\(index % 150)"
                    group.addTask { _ = try await store.submit(Sample.submission(key: key, hash: key), now: 1000) }
                }
                try await group.waitForAll()
            }
            // 150 distinct keys: 150 jobs and 150 entries, one chain.
            let verification = try await store.verifyAudit()
            #expect(verification.intact && verification.length == 150 && verification.head?.seq == 150)
            #expect(try await store.auditChainHead()?.seq == 150)
            let seqs = try await store.auditEntries(AuditFilter(), after: nil, limit: 1000).map(\.seq)
            #expect(seqs == Array(1...150))
            #expect(try await store.list(JobFilter(), after: nil, limit: 1000).count == 150)
        }
    }

    /// Eight writers each appending every kind of entry: one chain, exactly as long as what they wrote.
    @Test(arguments: StoreKind.allCases)
    func eightWritersOfEveryKindKeepOneChain(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask { try await Self.writeOneOfEach(to: store, writer: writer, rounds: 2) }
                }
                try await group.waitForAll()
            }
            let written: Int64 = 8 * 2 * 6
            let verification = try await store.verifyAudit()
            #expect(verification.intact && verification.length == written && verification.head?.seq == written)
            let seqs = try await store.auditEntries(AuditFilter(), after: nil, limit: 1000).map(\.seq)
            #expect(seqs == Array(1...written))
        }
    }

    /// Six changes, one audit entry each.
    static func writeOneOfEach(to store: Ledger, writer: Int, rounds: Int) async throws {
        for round in 0..<rounds {
            let number = writer * rounds + round
            _ = try await store.submit(Sample.submission(), now: 1000)
            _ = try await store.grantConsent(userID: "u\(number)", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            _ = try await store.createToken(name: "t\(number)", role: .viewer, workerID: nil, hash: Sample.tokenHash(number), now: 1000)
            _ = try await store.register(id: "w\(number)", capabilities: ["email"], concurrency: 1, labels: [:], now: 1000)
            try await store.setPaused(type: "type\(number)", paused: true, now: 1000)
            try await store.recordAuditEvent(action: "config.loaded", subjectType: "config", subjectID: "c\(number)", details: [], now: 1000)
        }
    }

    // MARK: Several processes on one PostgreSQL database

    /// Eight ledgers, each with connections of its own, write at once: one chain, exactly as long as
    /// what they wrote, and it verifies.
    @Test(.enabled(if: PostgresServer.shouldRun))
    func eightConnectionsWritingAtOnceKeepOneChain() async throws {
        try await withStore(.postgres) { store, handle in
            try await handle.withLedgers(8) { ledgers in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (writer, ledger) in ledgers.enumerated() {
                        group.addTask { try await Self.writeOneOfEach(to: ledger, writer: writer, rounds: 3) }
                    }
                    try await group.waitForAll()
                }
            }
            let written: Int64 = 8 * 3 * 6
            let verification = try await store.verifyAudit()
            #expect(verification.intact && verification.length == written)
            let seqs = try await store.auditEntries(AuditFilter(), after: nil, limit: 1000).map(\.seq)
            #expect(seqs == Array(1...written))
        }
    }

    @Test(.enabled(if: PostgresServer.shouldRun))
    func oneIdempotencyKeyFromTwoProcessesMakesOneJob() async throws {
        try await withStore(.postgres) { first, handle in
            try await handle.withSecondLedger { second in
                let same = try await Self.race(Array(repeating: Sample.submission(key: "order-42", hash: "h"), count: 16), over: [first, second])
                Self.expectOneJob(same, sameRequest: true)
                let different = try await Self.race((0..<16).map { Sample.submission(key: "order-43", hash: "h\($0)") }, over: [first, second])
                Self.expectOneJob(different, sameRequest: false)
                #expect(try await second.list(JobFilter(), after: nil, limit: 100).count == 2)
            }
            let audit = try await first.verifyAudit()
            #expect(audit.intact && audit.length == 2)
        }
    }

    /// What one process changes of a user's consent and credential, the other acts on at once:
    /// neither keeps what it read earlier.
    @Test(.enabled(if: PostgresServer.shouldRun))
    func consentAndCredentialChangesInOneProcessHoldInTheOther() async throws {
        let options = LedgerOptions(vault: try Sample.vault(1))
        try await withStore(.postgres, options: options) { first, handle in
            try await handle.withSecondLedger(options: options) { second in
                let consent = try await first.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
                try await first.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1000)
                for _ in 0..<3 { _ = try await first.submit(Sample.consented("u1"), now: 1100) }
                let opened = try await first.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1200)
                #expect(opened.first?.lease?.credential == Sample.secret)
                // The other process deletes the credential: the first one's next lease goes without.
                let deleted = try await second.deleteCredential(userID: "u1", scope: Sample.scope, now: 1300)
                #expect(deleted)
                let without = try await first.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 60_000, now: 1400)
                #expect(without.count == 1 && without.first?.lease?.credential == nil)
                // The other process revokes the consent: the first one refuses the user's next job.
                let change = try await second.revokeConsent(id: consent.id, now: 1500)
                #expect(change.cancelled.count == 3)
                let refused = await #expect(throws: JobStoreError.self) { _ = try await first.submit(Sample.consented("u1"), now: 1600) }
                #expect(refused?.code == .consentRequired)
            }
        }
    }

    /// 500 jobs submitted and then leased from two processes at once, four workers each: every job
    /// is leased exactly once, and both processes' entries form one chain.
    @Test(.enabled(if: PostgresServer.shouldRun))
    func twoProcessesLeaseEveryJobOnceAndKeepOneChain() async throws {
        try await withStore(.postgres) { first, handle in
            try await handle.withSecondLedger { second in
                let ledgers = [first, second]
                let submitted = try await withThrowingTaskGroup(of: [String].self) { group in
                    for task in 0..<10 {
                        let ledger = ledgers[task % 2]
                        group.addTask {
                            var ids: [String] = []
                            for _ in 0..<5 {
                                let batch = Array(repeating: Sample.submission("bulk", tags: []), count: 10)
                                ids += try await ledger.submit(batch, now: 1000).map(\.job.id)
                            }
                            return ids
                        }
                    }
                    var ids: [String] = []
                    for try await batch in group { ids += batch }
                    return ids
                }
                #expect(submitted.count == 500 && Set(submitted).count == 500)

                let ids = try await withThrowingTaskGroup(of: [String].self) { group in
                    for worker in 0..<8 {
                        let ledger = ledgers[worker % 2]
                        group.addTask { try await Self.leaseUntilNoneQueued(ledger, workerID: "w\(worker)") }
                    }
                    var all: [String] = []
                    for try await leased in group { all += leased }
                    return all
                }
                #expect(ids.count == 500, "\(ids.count) leases for 500 jobs")
                #expect(Set(ids) == Set(submitted))

                let verification = try await second.verifyAudit()
                #expect(verification.intact && verification.length == 1000)
                let seqs = try await first.auditEntries(AuditFilter(), after: nil, limit: 2000).map(\.seq)
                #expect(seqs == Array(1...1000))
                let counts = try await first.countsByType()
                #expect(counts["bulk"] == [.running: 500])
            }
        }
    }

    /// A type's concurrency cap holds across processes: eight workers on four ledgers lease at once,
    /// and no more than the cap ever run.
    @Test(.enabled(if: PostgresServer.shouldRun))
    func aConcurrencyCapHoldsAcrossProcesses() async throws {
        try await withStore(.postgres) { store, handle in
            _ = try await store.submit(Array(repeating: Sample.submission("bulk", tags: []), count: 40), now: 1000)
            try await handle.withLedgers(4) { ledgers in
                let limits = LeaseLimits(concurrency: ["bulk": 5])
                let leased = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<8 {
                        let ledger = ledgers[worker % ledgers.count]
                        group.addTask {
                            var count = 0
                            for _ in 0..<5 {
                                count += try await ledger.lease(
                                    types: ["bulk"], workerID: "w\(worker)", limit: 3, leaseMilliseconds: 600_000, limits: limits, now: 2000
                                ).count
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(leased == 5, "\(leased) leased under a cap of 5")
            }
            let counts = try await store.countsByType()
            #expect(counts["bulk"]?[.running] == 5)
        }
    }

    /// Leases `bulk` jobs a few at a time until none is queued. An empty lease while jobs are still
    /// queued means another worker holds their rows for the moment; it tries again.
    /// - Returns: The ids it leased.
    static func leaseUntilNoneQueued(_ ledger: Ledger, workerID: String) async throws -> [String] {
        var leased: [String] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let jobs = try await ledger.lease(types: ["bulk"], workerID: workerID, limit: 7, leaseMilliseconds: 600_000, now: 2000)
            leased += jobs.map(\.id)
            guard jobs.isEmpty else { continue }
            let counts = try await ledger.countsByType()
            if (counts["bulk"]?[.queued] ?? 0) == 0 { return leased }
            await Task.yield()
        }
        throw TestingError("\(workerID) still saw queued jobs after 120 s")
    }
}
