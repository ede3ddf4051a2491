/// Where job artifacts are kept: in the store, with their job (pruned with it, backed up with it,
/// shared by every replica).
public protocol ArtifactStore: Sendable {
    func attachArtifact(
        jobID: String, token: Int64, name: String, contentType: String, content: [UInt8], limits: ArtifactLimits, now: Int64
    ) async throws -> AttachedArtifact
    func artifacts(jobID: String) async throws -> [JobArtifact]
    func artifact(jobID: String, name: String) async throws -> (JobArtifact, [UInt8])?
}

/// What an upload stored.
public struct AttachedArtifact: Sendable, Equatable {
    public var artifact: JobArtifact
    /// Whether it replaced an artifact of the same name.
    public var replaced: Bool
    public var jobType: String

    public init(artifact: JobArtifact, replaced: Bool, jobType: String) {
        self.artifact = artifact
        self.replaced = replaced
        self.jobType = jobType
    }
}
