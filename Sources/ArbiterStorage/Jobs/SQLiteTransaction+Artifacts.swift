import ArbiterJobs

extension SQLiteTransaction {
    private static let artifactColumns = "job_id, name, attempt, size, sha256, content_type, created_at"

    func artifacts(jobID: String) throws -> [JobArtifact] {
        try self.connection.query("SELECT \(Self.artifactColumns) FROM job_artifacts WHERE job_id = ? ORDER BY name", [.text(jobID)])
            .map(Self.decodeArtifact)
    }

    func artifact(jobID: String, name: String) throws -> (JobArtifact, [UInt8])? {
        guard let row = try self.connection.query(
            "SELECT \(Self.artifactColumns), content FROM job_artifacts WHERE job_id = ? AND name = ?", [.text(jobID), .text(name)]).first
        else { return nil }
        return (Self.decodeArtifact(row), row[7].blob ?? [])
    }

    func putArtifact(_ artifact: JobArtifact, content: [UInt8]) throws {
        try self.connection.query(
            """
            INSERT INTO job_artifacts (job_id, name, attempt, size, sha256, content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (job_id, name) DO UPDATE SET attempt = excluded.attempt, size = excluded.size, sha256 = excluded.sha256,
                content_type = excluded.content_type, content = excluded.content, created_at = excluded.created_at
            """,
            [.text(artifact.jobID), .text(artifact.name), .integer(Int64(artifact.attempt)), .integer(artifact.size), .text(artifact.sha256),
             .text(artifact.contentType), .blob(content), .integer(artifact.createdAt)])
    }

    private static func decodeArtifact(_ row: [SQLiteValue]) -> JobArtifact {
        JobArtifact(
            jobID: row[0].text ?? "", name: row[1].text ?? "", attempt: Int(row[2].integer ?? 0), size: row[3].integer ?? 0, sha256: row[4].text ?? "",
            contentType: row[5].text ?? "", createdAt: row[6].integer ?? 0)
    }
}
