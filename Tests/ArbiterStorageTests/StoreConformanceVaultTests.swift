import ArbiterJobs
import Testing

/// The credential vault, the same on every store: a user's secret is stored sealed, travels only
/// in the lease of a job whose consent holds, and a credential no configured key opens cancels the
/// job instead of running it without.
@Suite struct StoreConformanceVaultTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func theCredentialTravelsInTheLeaseAndNowhereElse(_ kind: StoreKind) async throws {
        let vault = try Sample.vault(1)
        try await withStore(kind, options: LedgerOptions(vault: vault)) { store, handle in
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            _ = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1000)
            // Sealed at rest, under the vault's active key.
            await #expect(try handle.scalar("SELECT key_id FROM credentials WHERE user_id = 'u1'") == vault.activeKeyID)
            let withSecret = try await store.submit(Sample.consented("u1"), now: 1100).job
            let without = try await store.submit(Sample.consented("u2"), now: 1100).job
            let plain = try await store.submit(Sample.submission("odds"), now: 1100).job
            let leased = try await store.lease(types: ["odds"], workerID: "w1", limit: 10, leaseMilliseconds: 1000, now: 1200)
            #expect(leased.map(\.id) == [withSecret.id, without.id, plain.id])
            #expect(leased.map { $0.lease?.credential } == [Sample.secret, nil, nil])
            #expect(try await store.job(id: withSecret.id)?.lease?.credential == nil, "never stored with the job")
            let entries = try await store.auditEntries(AuditFilter(), after: nil, limit: 100)
            #expect(!entries.contains { $0.details.contains(Sample.secret) || $0.subjectID.contains(Sample.secret) })
            let leaseEntries = entries.filter { $0.action == "job.leased" }
            #expect(leaseEntries.map(\.details) == [
                #"{"attempt":"1","credential":"released","worker_id":"w1"}"#,
                #"{"attempt":"1","worker_id":"w1"}"#,
                #"{"attempt":"1","worker_id":"w1"}"#,
            ])
            #expect(entries.filter { $0.action == "credential.stored" }.map(\.subjectID) == ["u1/\(Sample.scope)"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCredentialIsReplacedAndDeleted(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, _ in
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array("first".utf8), now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array("second".utf8), now: 1100)
            _ = try await store.submit(Sample.consented("u1"), now: 1200)
            let first = try await store.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1300)
            #expect(first.first?.lease?.credential == "second")
            let deleted = try await store.deleteCredential(userID: "u1", scope: Sample.scope, now: 1400)
            #expect(deleted)
            let again = try await store.deleteCredential(userID: "u1", scope: Sample.scope, now: 1500)
            #expect(!again)
            _ = try await store.submit(Sample.consented("u1"), now: 1600)
            let second = try await store.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1700)
            #expect(second.count == 1 && second.first?.lease?.credential == nil)
            let entries = try await store.auditEntries(AuditFilter(subjectType: "credential"), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["credential.stored", "credential.stored", "credential.deleted"])
            #expect(entries.last?.details == #"{"reason":"deleted"}"#)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func storingACredentialNeedsAVaultAndConsent(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            await #expect(throws: VaultUnavailable.self) {
                try await store.putCredential(userID: "u1", scope: Sample.scope, secret: [1], now: 1000)
            }
        }
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, handle in
            let never = await #expect(throws: JobStoreError.self) {
                try await store.putCredential(userID: "u1", scope: Sample.scope, secret: [1], now: 1000)
            }
            #expect(never?.code == .consentRequired)
            let consent = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            _ = try await store.revokeConsent(id: consent.id, now: 1100)
            let revoked = await #expect(throws: JobStoreError.self) {
                try await store.putCredential(userID: "u1", scope: Sample.scope, secret: [1], now: 1200)
            }
            #expect(revoked?.code == .consentRequired)
            await #expect(try handle.scalar("SELECT COUNT(*) FROM credentials") == "0")
        }
    }

    /// Another ledger on the same store with a different vault: one whose keys do not include the
    /// sealing key cancels the job (`credential_unreadable`), as does one with no vault; one that
    /// lists the old key beside a new active one (a key rotation) opens it.
    @Test(arguments: StoreKind.allCases)
    func aCredentialNoConfiguredKeyOpensCancelsTheJob(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, handle in
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1000)
            var jobs: [String] = []
            for index in 0..<3 { jobs.append(try await store.submit(Sample.consented("u1"), now: Int64(1100 + index)).job.id) }
            // Each lease looks at the oldest queued job only (limit 1, no caps).
            try await handle.withSecondLedger(options: LedgerOptions(vault: try Sample.vault(2))) { wrongKey in
                let leased = try await wrongKey.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1200)
                #expect(leased.isEmpty)
            }
            try await handle.withSecondLedger(options: LedgerOptions()) { noVault in
                let leased = try await noVault.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1300)
                #expect(leased.isEmpty)
            }
            try await handle.withSecondLedger(options: LedgerOptions(vault: try Sample.vault(2, previous: [1]))) { rotated in
                let leased = try await rotated.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1400)
                #expect(leased.map(\.id) == [jobs[2]] && leased.first?.lease?.credential == Sample.secret)
            }
            for id in jobs[0..<2] {
                let job = try #require(try await store.job(id: id))
                #expect(job.state == .cancelled && job.cancelReason == "credential_unreadable")
            }
            let cancelled = try await store.auditEntries(AuditFilter(action: "job.cancelled"), after: nil, limit: 10)
            #expect(cancelled.map(\.subjectID) == Array(jobs[0..<2]))
        }
    }
}
