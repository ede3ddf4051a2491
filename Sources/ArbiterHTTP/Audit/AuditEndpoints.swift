import ArbiterCore
import ArbiterJobs
import Foundation
import Hummingbird

/// `/api/v1/audit`: the hash-chained audit log, filtered and paged, and the walk that verifies it.
struct AuditEndpoints: Sendable {
    let store: any AuditStore

    func register(on router: Router<ArbiterRequestContext>) {
        let audit = router.group("/api/v1/audit")
        audit.get { request, _ in try await self.list(request) }
        audit.get("verify") { _, _ in try await self.verify() }
    }

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = AuditFilter(actor: query.get("actor"), action: query.get("action"), subjectType: query.get("subject_type"))
        filter.subjectID = query.get("subject_id")
        filter.since = try APIRequest.timestamp(query.get("since"), name: "since")
        filter.until = try APIRequest.timestamp(query.get("until"), name: "until")
        let limit = try APIRequest.pageLimit(query)
        var cursor: Int64?
        if let text = query.get("cursor") {
            guard let value = Int64(text), value >= 0 else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "cursor must be the next_cursor of an earlier page", field: "cursor")
            }
            cursor = value
        }
        let page = try await self.store.auditEntries(filter, after: cursor, limit: limit + 1)
        let entries = page.prefix(limit)
        var object: [String: Any] = ["entries": entries.map(Self.object)]
        object["next_cursor"] = page.count > limit ? (entries.last.map { String($0.seq) } ?? NSNull()) : NSNull()
        return try APIRequest.json(.ok, object)
    }

    private func verify() async throws -> Response {
        let verification = try await self.store.verifyAudit()
        var object: [String: Any] = ["intact": verification.intact, "length": verification.length]
        object["first_broken"] = verification.firstBroken.map { ["seq": $0.seq, "reason": $0.reason] as [String: Any] } ?? NSNull()
        object["head"] = verification.head.map { ["seq": $0.seq, "hash": Hex.encode($0.hash)] as [String: Any] } ?? NSNull()
        object["anchor"] = verification.anchor.map { ["seq": $0.seq, "hash": Hex.encode($0.hash)] as [String: Any] } ?? NSNull()
        return try APIRequest.json(.ok, object)
    }

    static func object(_ entry: AuditEntry) -> [String: Any] {
        [
            "seq": entry.seq, "at": RFC3339.format(milliseconds: entry.at), "actor": entry.actor, "action": entry.action,
            "subject_type": entry.subjectType, "subject_id": entry.subjectID, "details": RawJSON(text: entry.details),
            "prev_hash": Hex.encode(entry.prevHash), "hash": Hex.encode(entry.hash),
        ]
    }
}
