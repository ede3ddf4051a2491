import Foundation

/// A job type's counts per state, as `GET /api/v1/job-types` reports them.
public enum JobCounts {
    /// The counts of `type` on `server` (states with no jobs read 0).
    public static func fetch(_ server: ArbiterServer, type: String) async throws -> [String: Int] {
        try await self.fetch(server.baseURL, token: server.adminToken, type: type)
    }

    /// The counts of `type` on the server at `baseURL`, asked with `token`.
    public static func fetch(_ baseURL: String, token: String, type: String) async throws -> [String: Int] {
        let response = try await HTTPProbe.get(baseURL + "/api/v1/job-types", headers: [("Authorization", "Bearer \(token)")])
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let entry = ((object?["job_types"] as? [[String: Any]]) ?? []).first { $0["type"] as? String == type }
        return (entry?["counts"] as? [String: Int]) ?? [:]
    }
}
