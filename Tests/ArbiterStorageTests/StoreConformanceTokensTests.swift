import ArbiterJobs
import Testing

/// API tokens, the same on every store: kept by hash, found by hash, revoked once.
@Suite struct StoreConformanceTokensTests {
    typealias Sample = StoreSamples

    @Test(arguments: StoreKind.allCases)
    func tokensAreCreatedFoundAndRevoked(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            #expect(try await store.tokenCount() == 0)
            #expect(try await store.tokens().isEmpty)
            let admin = try await store.createToken(name: "ci", role: .admin, workerID: nil, hash: Sample.tokenHash(1), now: 1000)
            #expect(admin.name == "ci" && admin.role == .admin && admin.workerID == nil && admin.createdAt == 1000 && admin.revokedAt == nil)
            let worker = try await store.createToken(name: "w1-token", role: .worker, workerID: "w1", hash: Sample.tokenHash(2), now: 1100)
            #expect(try await store.token(hash: Sample.tokenHash(1)) == admin)
            #expect(try await store.token(hash: Sample.tokenHash(2)) == worker)
            #expect(try await store.token(hash: Sample.tokenHash(3)) == nil)
            #expect(try await store.tokens() == [admin, worker])
            #expect(try await store.tokenCount() == 2)

            let revoked = try await store.revokeToken(id: admin.id, now: 2000)
            #expect(revoked.revokedAt == 2000 && revoked.id == admin.id)
            // Revoking twice is not an error and keeps the first time.
            let again = try await store.revokeToken(id: admin.id, now: 3000)
            #expect(again.revokedAt == 2000)
            #expect(try await store.token(hash: Sample.tokenHash(1))?.revokedAt == 2000, "a revoked token is still found, as revoked")
            #expect(try await store.tokenCount() == 2)
            let missing = await #expect(throws: JobStoreError.self) { _ = try await store.revokeToken(id: "nope", now: 3000) }
            #expect(missing?.code == .notFound)

            let entries = try await store.auditEntries(AuditFilter(subjectType: "token"), after: nil, limit: 10)
            #expect(entries.map(\.action) == ["token.created", "token.created", "token.revoked"])
            #expect(entries.map(\.subjectID) == [admin.id, worker.id, admin.id])
            #expect(entries[1].details == #"{"name":"w1-token","role":"worker","worker_id":"w1"}"#)
        }
    }

    /// Every role a token can carry comes back as it was stored.
    @Test(arguments: StoreKind.allCases)
    func everyRoleRoundTrips(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            for (index, role) in Role.allCases.enumerated() {
                let created = try await store.createToken(name: role.rawValue, role: role, workerID: nil, hash: Sample.tokenHash(index), now: 1000)
                #expect(try await store.token(hash: Sample.tokenHash(index)) == created)
            }
            #expect(try await store.tokens().map(\.role) == Role.allCases)
        }
    }
}
