import ArbiterTesting
import Foundation
import NIOHTTP1

/// The driver's API calls to one daemon, with its admin token.
struct Session: Sendable {
    let base: String
    let token: String
    /// Jobs carry a user (one of ``Driver/users``, round robin) for the consent-gated type.
    let gated: Bool

    func send(_ path: String, method: HTTPMethod = .GET, _ body: String? = nil) async throws -> HTTPProbe.Response {
        try await HTTPProbe.send(
            self.base + path, method: method, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(self.token)")],
            body: body.map { Array($0.utf8) }, timeout: .seconds(60))
    }

    func post(_ path: String, _ body: String) async throws -> HTTPProbe.Response {
        try await self.send(path, method: .POST, body)
    }

    func submit(count: Int, stamped: Bool) async throws {
        let stamp = stamped ? #"{"t":\#(WallNanoseconds.now())}"# : "{}"
        let jobs = (0..<count).map { index in
            let user = self.gated ? #","user_id":"\#(Driver.users[index % Driver.users.count])""# : ""
            return #"{"type":"noop","payload":\#(stamp)\#(user)}"#
        }.joined(separator: ",")
        let response = try await self.post("/api/v1/jobs/batch", #"{"jobs":[\#(jobs)]}"#)
        guard response.status == 201 else { throw TestingError("batch submit answered \(response.status): \(response.text)") }
    }

    func succeeded() async throws -> Int {
        try await JobCounts.fetch(self.base, token: self.token, type: "noop")["succeeded"] ?? 0
    }

    func connectedWorkers() async throws -> Int {
        let response = try await self.send("/api/v1/workers")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (object?["workers"] as? [[String: Any]] ?? []).filter { ["idle", "busy"].contains($0["state"] as? String ?? "") }.count
    }
}
