import ArbiterJobs
import Testing

/// Consent, the same on every store: checked at submission and again at dispatch, and ending a
/// consent takes the user's unfinished jobs in the scope and their credential along.
@Suite struct StoreConformanceConsentsTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func submissionNeedsAUserWithConsentInForce(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let anonymous = await #expect(throws: JobStoreError.self) { _ = try await store.submit(Sample.consented(nil), now: 1000) }
            #expect(anonymous?.code == .consentRequired && anonymous?.index == 0)
            let denied = await #expect(throws: JobStoreError.self) { _ = try await store.submit(Sample.consented("u1"), now: 1000) }
            #expect(denied?.code == .consentRequired && denied?.message.contains("u1") == true && denied?.message.contains(Sample.scope) == true)
            #expect(try await store.consentStatus(userID: "u1", scope: Sample.scope, now: 1000) == .denied)
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1100)
            #expect(try await store.consentStatus(userID: "u1", scope: Sample.scope, now: 1100) == .granted)
            let accepted = try await store.submit(Sample.consented("u1"), now: 1200).job
            #expect(accepted.userID == "u1" && accepted.consentScope == Sample.scope)
            // Consent in another scope, or another user's, is not consent.
            let otherScope = await #expect(throws: JobStoreError.self) {
                _ = try await store.submit(Sample.consented("u1", scope: "odds.write"), now: 1200)
            }
            #expect(otherScope?.code == .consentRequired)
            // One refused submission refuses its whole batch.
            let batch = [Sample.consented("u1"), Sample.consented("u2")]
            let refused = await #expect(throws: JobStoreError.self) { _ = try await store.submit(batch, now: 1300) }
            #expect(refused?.code == .consentRequired && refused?.index == 1)
            #expect(try await store.list(JobFilter(), after: nil, limit: 10).map(\.id) == [accepted.id])
        }
    }

    /// Consent that ended without its jobs being cancelled (the consent expired, or the user's other
    /// consent did) is caught at dispatch: the job is cancelled, not leased.
    @Test(arguments: StoreKind.allCases)
    func consentIsCheckedAgainAtDispatch(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: 5000, evidence: Sample.evidence, now: 1000)
            let expiring = try await store.submit(Sample.consented("u1"), now: 1000).job
            // u2 holds two consents; the one revoked leaves the other in force, so nothing is cancelled
            // then; by the lease the other has expired and the newest says revoked.
            _ = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: 5000, evidence: Sample.evidence, now: 900)
            let revocable = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            let revoked = try await store.submit(Sample.consented("u2"), now: 1100).job
            let change = try await store.revokeConsent(id: revocable.id, now: 1200)
            #expect(change.changed && change.cancelled.isEmpty)
            #expect(try await store.job(id: revoked.id)?.state == .queued)
            _ = try await store.grantConsent(userID: "u3", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            let held = try await store.submit(Sample.consented("u3"), now: 1300).job
            let leased = try await store.lease(types: ["odds"], workerID: "w1", limit: 10, leaseMilliseconds: 1000, now: 6000)
            #expect(leased.map(\.id) == [held.id])
            let expired = try #require(try await store.job(id: expiring.id))
            #expect(expired.state == .cancelled && expired.cancelReason == "consent_expired")
            let gone = try #require(try await store.job(id: revoked.id))
            #expect(gone.state == .cancelled && gone.cancelReason == "consent_revoked")
            let entries = try await store.auditEntries(AuditFilter(action: "job.cancelled"), after: nil, limit: 10)
            #expect(entries.map(\.subjectID) == [expiring.id, revoked.id])
            #expect(entries.first?.details == #"{"from":"queued","reason":"consent_expired"}"#)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func revocationCancelsUnfinishedJobsAndDeletesTheCredential(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, handle in
            let consent = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1000)
            _ = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            _ = try await store.grantConsent(userID: "u1", scope: "odds.write", expiresAt: nil, evidence: Sample.evidence, now: 1000)
            let running = try await store.submit(Sample.consented("u1", priority: 9), now: 1100).job
            let finished = try await store.submit(Sample.consented("u1", priority: 8), now: 1100).job
            let queued = try await store.submit(Sample.consented("u1"), now: 1100).job
            let scheduled = try await store.submit(Sample.consented("u1", runAt: 90_000), now: 1100).job
            let otherUser = try await store.submit(Sample.consented("u2"), now: 1100).job
            let otherScope = try await store.submit(Sample.consented("u1", scope: "odds.write"), now: 1100).job
            let leased = try await store.lease(types: ["odds"], workerID: "w1", limit: 2, leaseMilliseconds: 60_000, now: 1200)
            #expect(leased.map(\.id) == [running.id, finished.id])
            #expect(leased.allSatisfy { $0.lease?.credential == Sample.secret })
            _ = try await store.complete(id: finished.id, token: try #require(leased.last?.lease?.token), result: nil, now: 1300)
            let token = try #require(leased.first?.lease?.token)

            let change = try await store.revokeConsent(id: consent.id, now: 2000)
            #expect(change.changed && change.consents.map(\.id) == [consent.id] && change.consents.first?.revokedAt == 2000)
            #expect(Set(change.cancelled.map { $0.job.id }) == [running.id, queued.id, scheduled.id])
            let revokedLease = change.cancelled.first { $0.job.id == running.id }?.lease
            #expect(revokedLease?.token == token && revokedLease?.workerID == "w1")
            for id in [running.id, queued.id, scheduled.id] {
                let job = try #require(try await store.job(id: id))
                #expect(job.state == .cancelled && job.cancelReason == "consent_revoked")
            }
            #expect(try await store.job(id: finished.id)?.state == .succeeded)
            #expect(try await store.job(id: otherUser.id)?.state == .queued)
            #expect(try await store.job(id: otherScope.id)?.state == .queued)
            let report = await #expect(throws: JobStoreError.self) { _ = try await store.complete(id: running.id, token: token, result: nil, now: 2100) }
            #expect(report?.code == .jobCancelled)

            // The credential is gone from the store itself, not only from what the ledger answers.
            await #expect(try handle.scalar("SELECT COUNT(*) FROM credentials WHERE user_id = 'u1' AND scope = 'odds.read'") == "0")
            let deleted = try await store.deleteCredential(userID: "u1", scope: Sample.scope, now: 2100)
            #expect(!deleted)
            let refused = await #expect(throws: JobStoreError.self) { _ = try await store.submit(Sample.consented("u1"), now: 2200) }
            #expect(refused?.code == .consentRequired)
            let twice = try await store.revokeConsent(id: consent.id, now: 2300)
            #expect(!twice.changed && twice.cancelled.isEmpty && twice.consents.first?.revokedAt == 2000)
            let missing = await #expect(throws: JobStoreError.self) { _ = try await store.revokeConsent(id: "nope", now: 2300) }
            #expect(missing?.code == .notFound)

            let entries = try await store.auditEntries(AuditFilter(), after: nil, limit: 100)
            #expect(entries.filter { $0.action == "consent.revoked" }.map(\.subjectID) == [consent.id])
            #expect(entries.filter { $0.action == "credential.deleted" }.map(\.details) == [#"{"reason":"consent_revoked"}"#])
            #expect(entries.filter { $0.action == "job.cancelled" }.count == 3)

            // Consent given again: work runs, without the deleted credential.
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 3000)
            let again = try await store.submit(Sample.consented("u1"), now: 3000).job
            let releasedAgain = try await store.lease(types: ["odds"], workerID: "w1", limit: 10, leaseMilliseconds: 1000, now: 3100)
            let rerun = try #require(releasedAgain.first { $0.id == again.id })
            #expect(rerun.lease != nil && rerun.lease?.credential == nil)
        }
    }

    /// Another consent still in force for the scope keeps the user's jobs and credential.
    @Test(arguments: StoreKind.allCases)
    func anotherConsentInForceKeepsTheJobsAndTheCredential(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, _ in
            let first = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            _ = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1001)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1002)
            let job = try await store.submit(Sample.consented("u1"), now: 1003).job
            let change = try await store.revokeConsent(id: first.id, now: 1100)
            #expect(change.changed && change.cancelled.isEmpty)
            #expect(try await store.consentStatus(userID: "u1", scope: Sample.scope, now: 1100) == .granted)
            let leased = try await store.lease(types: ["odds"], workerID: "w1", limit: 1, leaseMilliseconds: 1000, now: 1200)
            #expect(leased.map(\.id) == [job.id] && leased.first?.lease?.credential == Sample.secret)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func expiryEndsEachConsentOnce(_ kind: StoreKind) async throws {
        try await withStore(kind, options: LedgerOptions(vault: try Sample.vault(1))) { store, handle in
            let consent = try await store.grantConsent(userID: "u1", scope: Sample.scope, expiresAt: 5000, evidence: Sample.evidence, now: 1000)
            try await store.putCredential(userID: "u1", scope: Sample.scope, secret: Array(Sample.secret.utf8), now: 1000)
            _ = try await store.grantConsent(userID: "u2", scope: Sample.scope, expiresAt: nil, evidence: Sample.evidence, now: 1000)
            let job = try await store.submit(Sample.consented("u1"), now: 1000).job
            let kept = try await store.submit(Sample.consented("u2"), now: 1000).job
            let early = try await store.expireConsents(now: 4999)
            #expect(early.consents.isEmpty && early.cancelled.isEmpty)
            let due = try await store.expireConsents(now: 5000)
            #expect(due.consents.map(\.id) == [consent.id] && due.cancelled.map { $0.job.id } == [job.id])
            #expect(due.cancelled.first?.job.cancelReason == "consent_expired" && due.cancelled.first?.lease == nil)
            let handled = try await store.expireConsents(now: 6000)
            #expect(handled.consents.isEmpty && handled.cancelled.isEmpty)
            #expect(try await store.consentStatus(userID: "u1", scope: Sample.scope, now: 5000) == .expired)
            #expect(try await store.job(id: kept.id)?.state == .queued)
            await #expect(try handle.scalar("SELECT COUNT(*) FROM credentials") == "0")
            let entries = try await store.auditEntries(AuditFilter(subjectID: consent.id), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["consent.granted", "consent.expired"])
            #expect(entries.first?.details.contains(#""expires_at":"#) == true)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func consentsAreListedByStatusUserAndScope(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            let lasting = try await store.grantConsent(userID: "u1", scope: "a", expiresAt: nil, evidence: Sample.evidence, now: 1000)
            let expiring = try await store.grantConsent(userID: "u1", scope: "b", expiresAt: 2000, evidence: Sample.evidence, now: 1001)
            let revoked = try await store.grantConsent(userID: "u2", scope: "a", expiresAt: nil, evidence: Sample.evidence, now: 1002)
            _ = try await store.revokeConsent(id: revoked.id, now: 1500)
            #expect(try await store.consent(id: lasting.id) == lasting)
            #expect(try await store.consent(id: revoked.id)?.revokedAt == 1500)
            #expect(try await store.consent(id: "nope") == nil)
            func ids(_ filter: ConsentFilter, after cursor: String? = nil, limit: Int = 10) async throws -> [String] {
                try await store.consents(filter, after: cursor, limit: limit, now: 3000).map(\.id)
            }
            #expect(try await ids(ConsentFilter()) == [lasting.id, expiring.id, revoked.id])
            #expect(try await ids(ConsentFilter(status: .granted)) == [lasting.id])
            #expect(try await ids(ConsentFilter(status: .expired)) == [expiring.id])
            #expect(try await ids(ConsentFilter(status: .revoked)) == [revoked.id])
            #expect(try await ids(ConsentFilter(status: .denied)).isEmpty)
            #expect(try await ids(ConsentFilter(userID: "u1")) == [lasting.id, expiring.id])
            #expect(try await ids(ConsentFilter(scope: "a")) == [lasting.id, revoked.id])
            #expect(try await ids(ConsentFilter(userID: "u2", scope: "a", status: .revoked)) == [revoked.id])
            #expect(try await ids(ConsentFilter(), limit: 2) == [lasting.id, expiring.id])
            #expect(try await ids(ConsentFilter(), after: expiring.id, limit: 2) == [revoked.id])
            #expect(try await store.consentStatus(userID: "u1", scope: "a", now: 3000) == .granted)
            #expect(try await store.consentStatus(userID: "u1", scope: "b", now: 3000) == .expired)
            #expect(try await store.consentStatus(userID: "u1", scope: "b", now: 1999) == .granted)
            #expect(try await store.consentStatus(userID: "u2", scope: "a", now: 3000) == .revoked)
            #expect(try await store.consentStatus(userID: "u3", scope: "a", now: 3000) == .denied)
        }
    }
}
