import ArbiterJobs
import Testing

/// Artifacts, the same on every store: attached only under the attempt's lease, within the limits,
/// audited, replaced by name, and removed with their job.
@Suite struct StoreConformanceArtifactsTests {
    typealias Sample = StoreSamples
    static let limits = ArtifactLimits(maxFileBytes: 10, maxJobBytes: 15)

    @Test(arguments: StoreKind.allCases)
    func artifactsAreFencedLimitedAndPrunedWithTheirJob(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, handle in
            let job = try await store.submit(Sample.submission(), now: 1000).job
            let leased = try await store.lease(types: ["email"], workerID: "w1", limit: 1, leaseMilliseconds: 10_000, now: 1001)
            let token = try #require(leased.first?.lease?.token)
            let first = try await store.attachArtifact(
                jobID: job.id, token: token, name: "a.txt", contentType: "text/plain", content: Array("hello".utf8), limits: Self.limits, now: 1002)
            #expect(!first.replaced && first.jobType == "email" && first.artifact.attempt == 1 && first.artifact.size == 5)
            #expect(first.artifact.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
            let again = try await store.attachArtifact(
                jobID: job.id, token: token, name: "a.txt", contentType: "text/plain", content: Array("hello!".utf8), limits: Self.limits, now: 1003)
            #expect(again.replaced)
            await #expect(throws: JobStoreError(.staleLease, "lease token \(token + 1) is not the current lease of job \(job.id) (the job is running)")) {
                try await store.attachArtifact(
                    jobID: job.id, token: token + 1, name: "b", contentType: "x", content: [1], limits: Self.limits, now: 1004)
            }
            // 6 bytes held: 10 more would pass the job's 15, 11 the file's 10.
            for size in [10, 11] {
                do {
                    _ = try await store.attachArtifact(
                        jobID: job.id, token: token, name: "big", contentType: "x", content: Array(repeating: 0, count: size), limits: Self.limits, now: 1005)
                    Issue.record("\(size) bytes were stored")
                } catch let error as JobStoreError {
                    #expect(error.code == .artifactsTooLarge)
                }
            }
            #expect(try await store.artifacts(jobID: job.id).map(\.name) == ["a.txt"])
            let (artifact, content) = try #require(try await store.artifact(jobID: job.id, name: "a.txt"))
            #expect(content == Array("hello!".utf8) && artifact.size == 6 && artifact.contentType == "text/plain")
            let audited = try await store.auditEntries(AuditFilter(action: "job.artifact_attached"), after: nil, limit: 10)
            #expect(audited.count == 2 && audited[0].subjectID == job.id)

            _ = try await store.complete(id: job.id, token: token, result: nil, now: 2000)
            await #expect(throws: JobStoreError.self) {
                try await store.attachArtifact(jobID: job.id, token: token, name: "late", contentType: "x", content: [1], limits: Self.limits, now: 2001)
            }
            _ = try await store.prune(RetentionCutoffs(byState: [.succeeded: 3000], byType: [:]), limit: 10, now: 5000)
            #expect(try await handle.scalar("SELECT COUNT(*) FROM job_artifacts") == "0")
            await #expect(throws: JobStoreError.self) { try await store.artifacts(jobID: job.id) }
        }
    }

    @Test func namesAreSafeFileNames() {
        for good in ["a", "screen.png", "report-2026_12.json", String(repeating: "x", count: 128)] { #expect(JobArtifact.isValid(name: good), "\(good)") }
        for bad in ["", ".hidden", "a/b", "..", "a b", "é", String(repeating: "x", count: 129), "a\u{0}"] { #expect(!JobArtifact.isValid(name: bad), "\(bad)") }
    }
}
