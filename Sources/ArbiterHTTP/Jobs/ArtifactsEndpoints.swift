import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import HTTPTypes
import Hummingbird
import NIOCore

/// What the artifact endpoints need: where artifacts are kept and how large they may be.
public struct ArtifactOptions: Sendable {
    public var store: any ArtifactStore
    public var limits: ArtifactLimits

    public init(store: any ArtifactStore, limits: ArtifactLimits) {
        self.store = store
        self.limits = limits
    }
}

/// `/api/v1/jobs/{id}/artifacts`: a worker attaches files to the attempt it holds (the lease token
/// fences the upload like a report), and readers list and download them.
///
/// Downloads are always attachments, never rendered: `Content-Disposition: attachment`, `nosniff`
/// and a sandboxing CSP, so a worker's HTML cannot run in the console's origin.
struct ArtifactsEndpoints: Sendable {
    let options: ArtifactOptions
    let scheduler: Scheduler
    let metrics: ArtifactMetrics

    func register(on router: Router<ArbiterRequestContext>) {
        router.put("/api/v1/jobs/{id}/artifacts/{name}") { request, context in try await self.attach(request, context) }
        router.get("/api/v1/jobs/{id}/artifacts") { _, context in try await self.list(context) }
        router.get("/api/v1/jobs/{id}/artifacts/{name}") { _, context in try await self.download(context) }
    }

    private func attach(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let name = try Self.name(context)
        guard let text = request.uri.queryParameters.get("token"), let token = Int64(text) else {
            throw APIError(.badRequest, code: "invalid_parameter", message: "token is required: the lease token of the attempt, as a query parameter", field: "token")
        }
        let contentType = request.headers[.contentType].flatMap { $0.utf8.count <= 255 && $0.allSatisfy { $0.isASCII && !$0.isNewline } ? $0 : nil }
            ?? "application/octet-stream"
        try await DispatchEndpoints.requireOwnLease(id, context, self.scheduler)
        let content: [UInt8]
        do {
            content = try await APIRequest.body(request, limit: self.options.limits.maxFileBytes)
        } catch let error as APIError where error.status == .contentTooLarge {
            self.metrics.refused(JobStoreError.Code.artifactsTooLarge.rawValue)
            throw APIError(
                .contentTooLarge, code: JobStoreError.Code.artifactsTooLarge.rawValue,
                message: "artifact \(name) is larger than \(self.options.limits.maxFileBytes) bytes, the most one file may have", field: "body")
        }
        let attached: AttachedArtifact
        do {
            attached = try await APIRequest.perform {
                try await self.options.store.attachArtifact(
                    jobID: id, token: token, name: name, contentType: contentType, content: content, limits: self.options.limits,
                    now: self.scheduler.clock.nowMilliseconds())
            }
        } catch let error as APIError {
            self.metrics.refused(error.code)
            throw error
        }
        self.metrics.attached(attached)
        return try APIRequest.json(attached.replaced ? .ok : .created, Self.object(attached.artifact))
    }

    private func list(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let artifacts = try await APIRequest.perform { try await self.options.store.artifacts(jobID: id) }
        return try APIRequest.json(.ok, ["artifacts": artifacts.map(Self.object)])
    }

    private func download(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let name = try Self.name(context)
        guard let (artifact, content) = try await self.options.store.artifact(jobID: id, name: name) else {
            throw APIError(.notFound, code: "not_found", message: "job \(id) has no artifact \(name)", field: "name")
        }
        self.metrics.downloaded()
        return Self.file(artifact, content)
    }

    /// The `{name}` path parameter, checked.
    static func name(_ context: ArbiterRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        guard JobArtifact.isValid(name: name) else {
            throw APIError(
                .badRequest, code: "invalid_parameter",
                message: "name must be 1 to 128 of A-Z, a-z, 0-9, '.', '_', '-', not starting with '.'", field: "name")
        }
        return name
    }

    /// A download: the stored bytes as an attachment that no browser renders in this origin.
    static func file(_ artifact: JobArtifact, _ content: [UInt8]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = artifact.contentType
        headers[.contentDisposition] = "attachment; filename=\"\(artifact.name)\""
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.contentSecurityPolicy] = "sandbox"
        headers[HTTPField.Name("X-Artifact-SHA256")!] = artifact.sha256
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: content)))
    }

    static func object(_ artifact: JobArtifact) -> [String: Any] {
        [
            "job_id": artifact.jobID, "name": artifact.name, "attempt": artifact.attempt, "size": artifact.size, "sha256": artifact.sha256,
            "content_type": artifact.contentType, "created_at": JobResource.timestamp(artifact.createdAt),
        ]
    }
}

/// `arbiter_artifacts_*`: files attached and their bytes by job type, uploads refused by reason, downloads.
struct ArtifactMetrics: Sendable {
    let attachedFiles: CounterFamily
    let attachedBytes: CounterFamily
    let refusals: CounterFamily
    let downloads: Counter

    init(registry: MetricRegistry) throws {
        self.attachedFiles = try registry.counterFamily(
            "arbiter_artifacts_attached_total", help: "Artifacts workers attached to their attempts.", labelNames: ["job_type"])
        self.attachedBytes = try registry.counterFamily(
            "arbiter_artifact_bytes_attached_total", help: "Bytes of the artifacts workers attached.", labelNames: ["job_type"])
        self.refusals = try registry.counterFamily(
            "arbiter_artifacts_refused_total", help: "Artifact uploads refused, by reason (the error code).", labelNames: ["reason"])
        self.downloads = try registry.counter("arbiter_artifact_downloads_total", help: "Artifacts downloaded.")
    }

    func attached(_ attached: AttachedArtifact) {
        try? self.attachedFiles.labels(attached.jobType).increment()
        try? self.attachedBytes.labels(attached.jobType).increment(by: Int(attached.artifact.size))
    }

    func refused(_ reason: String) {
        try? self.refusals.labels(reason).increment()
    }

    func downloaded() {
        self.downloads.increment()
    }
}
