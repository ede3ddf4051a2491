import ArbiterCore
import Crypto

extension Ledger: ArtifactStore {
    /// Attaches a file to the attempt that holds `token` (fenced like a report: any other token is
    /// refused and nothing is stored), within `limits`, with a `job.artifact_attached` audit entry in
    /// the same transaction.
    /// - Returns: The artifact, whether it replaced one of the same name, and the job's type.
    /// - Throws: ``JobStoreError`` `notFound`, `staleLease`, `jobCancelled` or `artifactsTooLarge`.
    public func attachArtifact(
        jobID: String, token: Int64, name: String, contentType: String, content: [UInt8], limits: ArtifactLimits, now: Int64
    ) async throws -> AttachedArtifact {
        guard content.count <= limits.maxFileBytes else {
            throw JobStoreError(.artifactsTooLarge, "artifact \(name) is \(content.count) bytes; one file may have at most \(limits.maxFileBytes)")
        }
        let digest = Hex.encode(Array(SHA256.hash(data: content)))
        return try await self.write(now: now) { transaction, audit, _ in
            let job = try Self.leasedJob(jobID, token: token, transaction)
            let existing = try transaction.artifacts(jobID: jobID)
            let others = existing.filter { $0.name != name }.reduce(Int64(0)) { $0 + $1.size }
            guard others + Int64(content.count) <= limits.maxJobBytes else {
                throw JobStoreError(
                    .artifactsTooLarge,
                    "job \(jobID) would hold \(others + Int64(content.count)) bytes of artifacts; a job may hold at most \(limits.maxJobBytes)")
            }
            let artifact = JobArtifact(
                jobID: jobID, name: name, attempt: job.attempt, size: Int64(content.count), sha256: digest, contentType: contentType, createdAt: now)
            try transaction.putArtifact(artifact, content: content)
            try audit.record(
                "job.artifact_attached", "job", jobID, [("name", name), ("size", "\(content.count)"), ("sha256", digest), ("attempt", "\(job.attempt)")])
            return AttachedArtifact(artifact: artifact, replaced: existing.contains { $0.name == name }, jobType: job.type)
        }
    }

    /// A job's artifacts, by name.
    /// - Throws: ``JobStoreError/notFound`` for a job that does not exist.
    public func artifacts(jobID: String) async throws -> [JobArtifact] {
        try await self.read { transaction in
            _ = try Self.load(jobID, transaction)
            return try transaction.artifacts(jobID: jobID)
        }
    }

    /// One artifact with its content, `nil` when the job has none of that name.
    public func artifact(jobID: String, name: String) async throws -> (JobArtifact, [UInt8])? {
        try await self.read { transaction in try transaction.artifact(jobID: jobID, name: name) }
    }
}
