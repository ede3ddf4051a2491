import ArbiterCore
import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// One job: its facts, payload and result (as stored, so no number is rounded by a JSON library),
/// every attempt, its audit history; retry and cancel.
extension Console {
    func job(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let id = try context.parameters.require("id")
        guard let job = try await self.store.job(id: id) else {
            let content: Markup = "<h1>No such job</h1><p>Job <code>\(id)</code> does not exist. <a href=\"/console/jobs\">All jobs</a></p>"
            return ConsolePage(section: .jobs, title: "No such job", viewer: viewer).render(content, request: request, status: .notFound)
        }
        async let attempts = self.store.attempts(jobID: id)
        let artifacts = try await self.artifacts?.artifacts(jobID: id) ?? []
        // The audit log is shown to a role that may read it.
        let history = viewer.may(.audit) ? try await self.audit.auditEntries(AuditFilter(subjectType: "job", subjectID: id), after: nil, limit: 200) : nil
        let attemptRows = try await attempts.map { attempt -> Markup in
            """
            <tr><td class="num">\(attempt.number)</td><td>\(attempt.workerID)</td><td>\(ConsoleFormat.time(attempt.startedAt))</td>\
            <td>\(ConsoleFormat.time(attempt.finishedAt))</td><td>\(attempt.outcome.map(ConsoleFormat.state) ?? "<span class=\"muted\">running</span>")</td>\
            <td>\(attempt.error ?? "")</td></tr>
            """
        }
        var buttons: [Markup] = []
        if [.dead, .cancelled].contains(job.state) {
            buttons.append(viewer.button("Retry", to: "/console/jobs/\(ConsoleRequest.encode(id))/retry", needs: .operate, style: "primary", testID: "retry"))
        }
        if !job.state.isTerminal {
            buttons.append(viewer.button("Cancel", to: "/console/jobs/\(ConsoleRequest.encode(id))/cancel", needs: .submit, style: "danger", testID: "cancel"))
        }
        func fact(_ name: String, _ value: Markup) -> Markup { "<dt>\(name)</dt><dd>\(value)</dd>" }
        let facts: [Markup] = [
            fact("State", "<span data-testid=\"job-state\">\(ConsoleFormat.state(job.state.rawValue))</span>"),
            fact("Type", "<a href=\"/console/jobs?type=\(ConsoleRequest.encode(job.type))\">\(job.type)</a>"),
            fact("Priority", "\(job.priority)"), fact("Dry run", job.dryRun ? "yes: its worker is told not to act for real" : "no"),
            fact("Attempt", "\(job.attempt) of \(job.retry.maxAttempts)"),
            fact("Idempotency key", "\(job.idempotencyKey ?? "–")"),
            fact("User", "\(job.userID ?? "–")"), fact("Consent scope", "\(job.consentScope ?? "–")"),
            fact("Tags", "\(job.tags.isEmpty ? "–" : job.tags.joined(separator: ", "))"),
            fact("Created", ConsoleFormat.time(job.createdAt)), fact("Runs at", ConsoleFormat.time(job.runAt)),
            fact("Updated", ConsoleFormat.time(job.updatedAt)), fact("Finished", ConsoleFormat.time(job.finishedAt)),
            fact("Lease", job.lease.map { lease -> Markup in "\(lease.workerID) until \(ConsoleFormat.time(lease.expiresAt))" } ?? "–"),
        ]
        var problems: [Markup] = []
        if let error = job.lastError { problems.append("<h2>Last error</h2><pre>\(error)</pre>") }
        if let reason = job.cancelReason { problems.append("<h2>Cancelled because</h2><p>\(reason)</p>") }
        let audit: Markup = history.map { entries in
            let rows = entries.map { entry -> Markup in
                "<tr><td class=\"num\">\(entry.seq)</td><td>\(ConsoleFormat.time(entry.at))</td><td>\(entry.actor)</td><td>\(entry.action)</td><td><code>\(entry.details)</code></td></tr>"
            }
            return """
                <h2>Audit history</h2><table aria-label="Audit history"><thead><tr><th class="num">Seq</th><th>At</th><th>Actor</th><th>Action</th><th>Details</th></tr></thead>
                <tbody>\(rows)</tbody></table>
                """
        } ?? .empty
        let content: Markup = """
            <h1>Job <code>\(job.id)</code></h1>
            <p>\(buttons)</p>
            <dl class="facts">\(facts)</dl>
            \(problems)
            <h2>Payload</h2><pre data-testid="payload">\(job.payload)</pre>
            <h2>Result</h2>\(job.result.map { value -> Markup in "<pre data-testid=\"result\">\(value)</pre>" } ?? "<p class=\"muted\">None yet.</p>")
            <h2>Attempts</h2>
            <table aria-label="Attempts"><thead><tr><th class="num">#</th><th>Worker</th><th>Started</th><th>Ended</th><th>Outcome</th><th>Error</th></tr></thead>
            <tbody>\(attemptRows)</tbody></table>
            \(self.artifactTable(job.id, artifacts))
            \(audit)
            """
        return ConsolePage(section: .jobs, title: "Job \(job.id)", viewer: viewer, notice: ConsolePage.notice(request)).render(content, request: request)
    }

    /// The files the job's workers attached, each a download.
    private func artifactTable(_ id: String, _ artifacts: [JobArtifact]) -> Markup {
        guard !artifacts.isEmpty else { return .empty }
        let rows = artifacts.map { artifact -> Markup in
            let link = "/console/jobs/\(ConsoleRequest.encode(id))/artifacts/\(ConsoleRequest.encode(artifact.name))"
            return """
                <tr><td><a href="\(link)" download>\(artifact.name)</a></td><td class="num">\(artifact.size)</td><td>\(artifact.contentType)</td>\
                <td class="num">\(artifact.attempt)</td><td>\(ConsoleFormat.time(artifact.createdAt))</td><td><code>\(String(artifact.sha256.prefix(12)))</code></td></tr>
                """
        }
        return """
            <h2>Artifacts</h2><table aria-label="Artifacts"><thead><tr><th>Name</th><th class="num">Bytes</th><th>Type</th><th class="num">Attempt</th>\
            <th>Attached</th><th>SHA-256</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    /// A download, as the API serves it: an attachment no browser renders here.
    func artifact(_ context: ArbiterRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let name = try ArtifactsEndpoints.name(context)
        guard let store = self.artifacts, let (artifact, content) = try await store.artifact(jobID: id, name: name) else {
            throw APIError(.notFound, code: "not_found", message: "job \(id) has no artifact \(name)", field: "name")
        }
        return ArtifactsEndpoints.file(artifact, content)
    }
}
