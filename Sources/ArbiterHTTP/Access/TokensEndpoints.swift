import ArbiterCore
import ArbiterJobs
import Hummingbird
import Foundation
import Logging

/// `/api/v1/tokens`: create (the token is in this one answer and nowhere else), list, revoke.
struct TokensEndpoints: Sendable {
    let store: any TokenStore
    /// Told of revocations, so that every replica's token verifier forgets the token.
    let coordination: any Coordination
    let maxBodyBytes: Int
    let logger: Logger

    func register(on router: Router<ArbiterRequestContext>) {
        let tokens = router.group("/api/v1/tokens")
        tokens.post { request, _ in try await self.create(request) }
        tokens.get { _, _ in try await self.list() }
        tokens.delete("{id}") { _, context in try await self.revoke(context) }
    }

    private func create(_ request: Request) async throws -> Response {
        let object = try await APIRequest.object(request, limit: self.maxBodyBytes, fields: ["name", "role", "worker_id"], of: "token")
        let name = try APIRequest.string(object, "name")!
        let roleText = try APIRequest.string(object, "role")!
        guard let role = Role(rawValue: roleText) else {
            throw APIError(
                .badRequest, code: "invalid_field", message: "role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))",
                field: "role")
        }
        let workerID = try APIRequest.string(object, "worker_id", required: role == .worker)
        if role != .worker, workerID != nil {
            throw APIError(.badRequest, code: "invalid_field", message: "worker_id is only for tokens of role worker", field: "worker_id")
        }
        let token = APITokenCodec.generate()
        let record = try await self.store.createToken(
            name: name, role: role, workerID: workerID, hash: APITokenCodec.hash(token), now: WallClock.nowMilliseconds())
        self.logger.info("api token created", metadata: ["token_id": "\(record.id)", "name": "\(name)", "role": "\(role.rawValue)"])
        var answer = Self.object(record)
        answer["token"] = token
        return try APIRequest.json(.created, answer)
    }

    private func list() async throws -> Response {
        try APIRequest.json(.ok, ["tokens": try await self.store.tokens().map(Self.object)])
    }

    private func revoke(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let record = try await APIRequest.perform { try await self.store.revokeToken(id: id, now: WallClock.nowMilliseconds()) }
        self.coordination.announceTokenRevoked(id: id)
        self.logger.info("api token revoked", metadata: ["token_id": "\(id)"])
        return try APIRequest.json(.ok, Self.object(record))
    }

    static func object(_ record: TokenRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id, "name": record.name, "role": record.role.rawValue, "created_at": RFC3339.format(milliseconds: record.createdAt),
        ]
        object["worker_id"] = record.workerID ?? NSNull()
        object["revoked_at"] = record.revokedAt.map { RFC3339.format(milliseconds: $0) } ?? NSNull()
        return object
    }
}
