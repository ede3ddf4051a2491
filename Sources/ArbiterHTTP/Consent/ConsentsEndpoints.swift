import ArbiterCore
import ArbiterJobs
import Foundation
import Hummingbird
import Logging

/// `/api/v1/consents` (grant, get, list, revoke) and `/api/v1/users/{user}/credentials/{scope}`
/// (store, delete: there is no read).
struct ConsentsEndpoints: Sendable {
    let scheduler: Scheduler
    let store: any ConsentStore
    let metrics: ConsentMetrics
    let maxBodyBytes: Int
    let logger: Logger

    func register(on router: Router<ArbiterRequestContext>) {
        let consents = router.group("/api/v1/consents")
        consents.post { request, _ in try await self.grant(request) }
        consents.get { request, _ in try await self.list(request) }
        consents.get("{id}") { _, context in try await self.get(context) }
        consents.post("{id}/revoke") { _, context in try await self.revoke(context) }
        let credentials = router.group("/api/v1/users/{user}/credentials")
        credentials.put("{scope}") { request, context in try await self.putCredential(request, context) }
        credentials.delete("{scope}") { _, context in try await self.deleteCredential(context) }
    }

    private func grant(_ request: Request) async throws -> Response {
        let object = try await APIRequest.object(request, limit: self.maxBodyBytes, fields: ["user_id", "scope", "expires_at", "evidence"], of: "consent")
        let user = try APIRequest.string(object, "user_id", maxBytes: 255)!
        let scope = try APIRequest.string(object, "scope", maxBytes: 255)!
        let now = WallClock.nowMilliseconds()
        var expiresAt: Int64?
        if let text = try APIRequest.string(object, "expires_at", maxBytes: 64, required: false) {
            guard let at = try APIRequest.timestamp(text, name: "expires_at"), at > now else {
                throw APIError(.badRequest, code: "invalid_field", message: "expires_at must be an RFC 3339 time in the future", field: "expires_at")
            }
            expiresAt = at
        }
        guard let evidence = object["evidence"] as? [String: Any] else {
            throw APIError(
                .badRequest, code: "missing_field", message: "evidence is required: {recorded_by, policy_version, source}", field: "evidence")
        }
        func field(_ name: String) throws -> String {
            do {
                return try APIRequest.string(evidence, name, maxBytes: 1024)!
            } catch let error as APIError {
                throw APIError(error.status, code: error.code, message: "evidence.\(error.message)", field: "evidence.\(name)")
            }
        }
        let record = try await self.store.grantConsent(
            userID: user, scope: scope, expiresAt: expiresAt,
            evidence: ConsentEvidence(recordedBy: try field("recorded_by"), policyVersion: try field("policy_version"), source: try field("source")),
            now: now)
        self.metrics.granted(record)
        self.logger.info("consent granted", metadata: ["consent_id": "\(record.id)", "user_id": "\(user)", "scope": "\(scope)"])
        return try APIRequest.json(.created, Self.object(record, now: now))
    }

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = ConsentFilter(userID: query.get("user_id"), scope: query.get("scope"))
        if let text = query.get("status") {
            guard let status = ConsentStatus(rawValue: text), status != .denied else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "status must be granted, expired or revoked", field: "status")
            }
            filter.status = status
        }
        let limit = try APIRequest.pageLimit(query)
        let now = WallClock.nowMilliseconds()
        let page = try await self.store.consents(filter, after: query.get("cursor"), limit: limit + 1, now: now)
        let consents = page.prefix(limit)
        var object: [String: Any] = ["consents": consents.map { Self.object($0, now: now) }]
        object["next_cursor"] = page.count > limit ? (consents.last?.id ?? NSNull()) : NSNull()
        return try APIRequest.json(.ok, object)
    }

    private func get(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let record = try await self.store.consent(id: id) else {
            throw APIError(.notFound, code: "not_found", message: "consent \(id) does not exist", field: "id")
        }
        return try APIRequest.json(.ok, Self.object(record, now: WallClock.nowMilliseconds()))
    }

    private func revoke(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let change = try await APIRequest.perform { try await self.scheduler.revokeConsent(id: id) }
        let record = change.consents[0]
        if change.changed { self.metrics.revoked(record) }
        self.logger.info(
            "consent revoked",
            metadata: ["consent_id": "\(id)", "user_id": "\(record.userID)", "scope": "\(record.scope)", "jobs_cancelled": "\(change.cancelled.count)"])
        var object = Self.object(record, now: WallClock.nowMilliseconds())
        object["cancelled_jobs"] = change.cancelled.map(\.job.id)
        return try APIRequest.json(.ok, object)
    }

    private func putCredential(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let user = try context.parameters.require("user")
        let scope = try context.parameters.require("scope")
        let object = try await APIRequest.object(request, limit: self.maxBodyBytes, fields: ["secret"], of: "credential")
        let secret = try APIRequest.string(object, "secret", maxBytes: 64 * 1024)!
        do {
            try await APIRequest.perform {
                try await self.store.putCredential(userID: user, scope: scope, secret: Array(secret.utf8), now: WallClock.nowMilliseconds())
            }
        } catch is VaultUnavailable {
            throw APIError(.serviceUnavailable, code: "vault_unavailable", message: "\(VaultUnavailable())")
        }
        // Never the secret: only that one was stored.
        self.logger.info("credential stored", metadata: ["user_id": "\(user)", "scope": "\(scope)"])
        return Response(status: .noContent)
    }

    private func deleteCredential(_ context: ArbiterRequestContext) async throws -> Response {
        let user = try context.parameters.require("user")
        let scope = try context.parameters.require("scope")
        guard try await self.store.deleteCredential(userID: user, scope: scope, now: WallClock.nowMilliseconds()) else {
            throw APIError(.notFound, code: "not_found", message: "user \(user) has no credential for scope \(scope)", field: "scope")
        }
        self.logger.info("credential deleted", metadata: ["user_id": "\(user)", "scope": "\(scope)"])
        return Response(status: .noContent)
    }

    static func object(_ record: ConsentRecord, now: Int64) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id, "user_id": record.userID, "scope": record.scope, "status": record.status(at: now).rawValue,
            "granted_at": RFC3339.format(milliseconds: record.grantedAt),
            "evidence": [
                "recorded_by": record.evidence.recordedBy, "policy_version": record.evidence.policyVersion, "source": record.evidence.source,
            ],
        ]
        object["expires_at"] = record.expiresAt.map { RFC3339.format(milliseconds: $0) } ?? NSNull()
        object["revoked_at"] = record.revokedAt.map { RFC3339.format(milliseconds: $0) } ?? NSNull()
        return object
    }
}
