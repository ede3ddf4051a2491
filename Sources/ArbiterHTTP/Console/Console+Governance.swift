import ArbiterCore
import ArbiterJobs
import Foundation
import Hummingbird

/// Consents and the audit log: lists with filters, and verification of the hash chain.
extension Console {
    func consents(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let fields = ConsoleRequest.query(request)
        var filter = ConsentFilter()
        filter.userID = fields["user_id"].flatMap { $0.isEmpty ? nil : $0 }
        filter.scope = fields["scope"].flatMap { $0.isEmpty ? nil : $0 }
        filter.status = fields["status"].flatMap(ConsentStatus.init(rawValue:))
        let now = self.now
        let records = try await self.scheduler.consents?.consents(filter, after: fields["cursor"].flatMap { $0.isEmpty ? nil : $0 }, limit: 101, now: now) ?? []
        let rows = records.prefix(100).map { consent -> Markup in
            let status = consent.revokedAt != nil ? "revoked" : (consent.expiresAt.map { $0 <= now } ?? false) ? "expired" : "granted"
            return """
                <tr><td><code>\(consent.id)</code></td><td>\(consent.userID)</td><td>\(consent.scope)</td><td>\(ConsoleFormat.state(status))</td>\
                <td>\(ConsoleFormat.time(consent.grantedAt))</td><td>\(ConsoleFormat.time(consent.expiresAt))</td><td>\(ConsoleFormat.time(consent.revokedAt))</td>\
                <td>\(consent.evidence.recordedBy)</td><td>\(consent.evidence.source)</td></tr>
                """
        }
        let statuses = ([""] + ConsentStatus.allCases.map(\.rawValue)).map { status -> Markup in
            "<option value=\"\(status)\"\(fields["status"] == status ? Markup(" selected") : .empty)>\(status.isEmpty ? "any" : status)</option>"
        }
        var more: Markup = .empty
        if records.count > 100, let last = records.prefix(100).last {
            let query = ConsoleRequest.queryString([("user_id", filter.userID), ("scope", filter.scope), ("status", fields["status"]), ("cursor", last.id)])
            more = "<p><a href=\"/console/consents?\(query)\" rel=\"next\">Next 100 →</a></p>"
        }
        let content: Markup = """
            <h1>Consents</h1>
            <form class="filters" method="get" action="/console/consents">
            <label>User<input name="user_id" value="\(fields["user_id"] ?? "")"></label><label>Scope<input name="scope" value="\(fields["scope"] ?? "")"></label>
            <label>Status<select name="status">\(statuses)</select></label><button type="submit" class="primary">Filter</button></form>
            \(self.scheduler.consents == nil ? Markup("<p class=\"muted\">Consent is not kept by this daemon's store.</p>") : .empty)
            <table aria-label="Consents"><thead><tr><th>Id</th><th>User</th><th>Scope</th><th>Status</th><th>Granted</th><th>Expires</th><th>Revoked</th>\
            <th>Recorded by</th><th>Source</th></tr></thead><tbody>\(Array(rows))</tbody></table>\(more)
            """
        return ConsolePage(section: .consents, title: "Consents", viewer: viewer).render(content, request: request)
    }

    func auditPage(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let fields = ConsoleRequest.query(request)
        func value(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        var filter = AuditFilter()
        filter.actor = value("actor")
        filter.action = value("action")
        filter.subjectType = value("subject_type")
        filter.subjectID = value("subject_id")
        // Newest first would need a second index; the list pages forward from `after` (0 = the start).
        let after = value("after").flatMap { Int64($0) }
        let entries = try await self.audit.auditEntries(filter, after: after, limit: 101)
        let rows = entries.prefix(100).map { entry -> Markup in
            """
            <tr><td class="num">\(entry.seq)</td><td>\(ConsoleFormat.time(entry.at))</td><td>\(entry.actor)</td><td>\(entry.action)</td>\
            <td>\(entry.subjectType)</td><td>\(entry.subjectType == "job" ? Markup("<a href=\"/console/jobs/\(ConsoleRequest.encode(entry.subjectID))\">\(entry.subjectID)</a>") : Markup("\(entry.subjectID)"))</td>\
            <td><code>\(entry.details)</code></td></tr>
            """
        }
        var verification: Markup = .empty
        if fields["verify"] == "1" {
            let result = try await self.audit.verifyAudit()
            if let broken = result.firstBroken {
                verification = "<p class=\"notice bad\" role=\"alert\" data-testid=\"verify-result\">The chain is broken at entry \(broken.seq): \(broken.reason) (\(result.length) entries walked).</p>"
            } else {
                verification = "<p class=\"notice ok\" role=\"status\" data-testid=\"verify-result\">The chain is intact: \(result.length) entries verified\(result.head.map { head -> Markup in ", head at entry \(head.seq)" } ?? .empty).</p>"
            }
        }
        var more: Markup = .empty
        if entries.count > 100, let last = entries.prefix(100).last {
            let query = ConsoleRequest.queryString(
                [("actor", filter.actor), ("action", filter.action), ("subject_type", filter.subjectType), ("subject_id", filter.subjectID), ("after", "\(last.seq)")])
            more = "<p><a href=\"/console/audit?\(query)\" rel=\"next\">Next 100 →</a></p>"
        }
        func input(_ name: String, _ label: String) -> Markup { "<label>\(label)<input name=\"\(name)\" value=\"\(fields[name] ?? "")\"></label>" }
        let content: Markup = """
            <h1>Audit log</h1>
            \(verification)
            <p><a class="button" href="/console/audit?verify=1" data-testid="verify">Verify the chain</a></p>
            <form class="filters" method="get" action="/console/audit">\(input("actor", "Actor"))\(input("action", "Action"))\
            \(input("subject_type", "Subject type"))\(input("subject_id", "Subject id"))<button type="submit" class="primary">Filter</button></form>
            <table aria-label="Audit entries"><thead><tr><th class="num">Seq</th><th>At</th><th>Actor</th><th>Action</th><th>Subject type</th><th>Subject</th>\
            <th>Details</th></tr></thead><tbody>\(Array(rows))</tbody></table>\(more)
            """
        return ConsolePage(section: .audit, title: "Audit", viewer: viewer).render(content, request: request)
    }
}
