import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// The job list: filters, search by id, idempotency key or payload text, cursor paging, and retry or
/// cancel of every job that matches, after a confirmation that states how many.
extension Console {
    static let pageSize = 50
    /// The most jobs one "all matching" action touches.
    static let bulkLimit = 100_000

    func registerJobs(on router: Router<ArbiterRequestContext>) {
        router.get("/console/jobs") { request, context in try await self.jobs(request, context) }
        router.get("/console/jobs/retry-matching") { request, context in try await self.confirmMatching(.retry, request, context) }
        router.get("/console/jobs/cancel-matching") { request, context in try await self.confirmMatching(.cancel, request, context) }
        router.post("/console/jobs/retry-matching") { _, context in await self.actOnMatching(.retry, context) }
        router.post("/console/jobs/cancel-matching") { _, context in await self.actOnMatching(.cancel, context) }
        router.get("/console/jobs/{id}") { request, context in try await self.job(request, context) }
        router.get("/console/jobs/{id}/artifacts/{name}") { _, context in try await self.artifact(context) }
        router.post("/console/jobs/{id}/retry") { _, context in
            let id = try context.parameters.require("id")
            return await self.act("retry", back: "/console/jobs/\(ConsoleRequest.encode(id))") {
                let job = try await self.scheduler.retry(jobID: id)
                return "Job \(id) is \(job.state.rawValue) again."
            }
        }
        router.post("/console/jobs/{id}/cancel") { _, context in
            let id = try context.parameters.require("id")
            return await self.act("cancel", back: "/console/jobs/\(ConsoleRequest.encode(id))") {
                let job = try await self.scheduler.cancel(jobID: id, reason: "cancelled from the console")
                return "Job \(id) is \(job.state.rawValue)."
            }
        }
    }

    enum BulkAction: String {
        case retry, cancel

        /// The states a job must be in for the action, and the permission it needs.
        var states: Set<JobState> { self == .retry ? [.dead, .cancelled] : [.scheduled, .queued, .running] }
        var permission: Permission { self == .retry ? .operate : .submit }
        var verb: String { self == .retry ? "Retry" : "Cancel" }
    }

    func jobs(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let fields = ConsoleRequest.query(request)
        var notice = ConsolePage.notice(request)
        var content: Markup
        do {
            let query = try ConsoleJobQuery(fields)
            let cursor = fields["cursor"].flatMap { $0.isEmpty ? nil : $0 }
            async let page = self.store.list(query.filter, after: cursor, limit: Self.pageSize + 1)
            async let total = self.store.count(query.filter)
            let (jobs, matching) = try await (page, total)
            content = self.jobTable(Array(jobs.prefix(Self.pageSize)), matching: matching, query: query, viewer: viewer)
            if jobs.count > Self.pageSize, let last = jobs.prefix(Self.pageSize).last {
                let next = "/console/jobs?" + [query.query, "cursor=" + ConsoleRequest.encode(last.id)].filter { !$0.isEmpty }.joined(separator: "&")
                content = "\(content)<p><a href=\"\(next)\" data-testid=\"next-page\" rel=\"next\">Next \(Self.pageSize) →</a></p>"
            }
            if cursor != nil { content = "\(content)<p><a href=\"/console/jobs?\(query.query)\">← First page</a></p>" }
            content = "\(self.jobFilters(fields))\(content)"
        } catch let error as APIError {
            notice = "<p class=\"notice bad\" role=\"alert\">\(error.message)</p>"
            content = self.jobFilters(fields)
        }
        return ConsolePage(section: .jobs, title: "Jobs", viewer: viewer, notice: notice).render("<h1>Jobs</h1>\(content)", request: request)
    }

    private func jobFilters(_ fields: [String: String]) -> Markup {
        let states = ([""] + JobState.allCases.map(\.rawValue)).map { state -> Markup in
            "<option value=\"\(state)\"\(fields["state"] == state ? Markup(" selected") : .empty)>\(state.isEmpty ? "any" : state)</option>"
        }
        let dryRuns = [("", "any"), ("true", "dry runs only"), ("false", "no dry runs")].map { value, label -> Markup in
            "<option value=\"\(value)\"\(fields["dry_run"] == value ? Markup(" selected") : .empty)>\(label)</option>"
        }
        let types = self.scheduler.policies.keys.sorted().map { type -> Markup in "<option value=\"\(type)\">" }
        func input(_ name: String, _ label: String, _ type: String = "text", _ extra: Markup = .empty) -> Markup {
            "<label>\(label)<input name=\"\(name)\" type=\"\(type)\" value=\"\(fields[name] ?? "")\"\(extra)></label>"
        }
        return """
            <form class="filters" method="get" action="/console/jobs" role="search">
            \(input("q", "Search (id, idempotency key or payload text)", "search", " size=\"32\" data-testid=\"search\""))
            <label>State<select name="state">\(states)</select></label>
            \(input("type", "Type", "text", " list=\"job-types\""))<datalist id="job-types">\(types)</datalist>
            \(input("user_id", "User"))\(input("tag", "Tag"))
            <label>Dry run<select name="dry_run">\(dryRuns)</select></label>
            \(input("created_after", "Created after (UTC)", "datetime-local"))\(input("created_before", "Created before (UTC)", "datetime-local"))
            <button type="submit" class="primary">Filter</button> <a href="/console/jobs">Clear</a></form>
            """
    }

    private func jobTable(_ jobs: [JobRecord], matching: Int, query: ConsoleJobQuery, viewer: ConsolePage.Viewer) -> Markup {
        var bulk: [Markup] = []
        for action in [BulkAction.retry, .cancel] where viewer.may(action.permission) {
            guard let state = query.filter.state, action.states.contains(state), matching > 0 else { continue }
            bulk.append(
                "<a class=\"button\" href=\"/console/jobs/\(action.rawValue)-matching?\(query.query)\" data-testid=\"\(action.rawValue)-matching\">\(action.verb) all \(matching) matching…</a>")
        }
        let rows = jobs.map { job -> Markup in
            """
            <tr><td><a href="/console/jobs/\(ConsoleRequest.encode(job.id))"><code>\(job.id)</code></a></td><td>\(job.type)\(job.dryRun ? Markup(" <small>(dry run)</small>") : .empty)</td>\
            <td>\(ConsoleFormat.state(job.state.rawValue))</td><td class="num">\(job.attempt)/\(job.retry.maxAttempts)</td><td>\(job.userID)</td>\
            <td>\(job.tags.joined(separator: ", "))</td><td>\(ConsoleFormat.time(job.createdAt))</td><td>\(ConsoleFormat.time(job.updatedAt))</td></tr>
            """
        }
        return """
            <p><span data-testid="matching">\(matching)</span> \(matching == 1 ? "job matches" : "jobs match"). \(bulk)</p>
            <table aria-label="Jobs"><thead><tr><th>Id</th><th>Type</th><th>State</th><th class="num">Attempt</th><th>User</th><th>Tags</th>\
            <th>Created</th><th>Updated</th></tr></thead><tbody>\(rows)</tbody></table>
            """
    }

    private func confirmMatching(_ action: BulkAction, _ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let query = try ConsoleJobQuery(ConsoleRequest.query(request))
        guard let state = query.filter.state, action.states.contains(state) else {
            throw APIError(
                .badRequest, code: "invalid_parameter",
                message: "\(action.rawValue) applies to jobs that are \(action.states.map(\.rawValue).sorted().joined(separator: " or ")): choose one as the state filter",
                field: "state")
        }
        let count = try await self.store.count(query.filter)
        let content: Markup = """
            <h1>\(action.verb) \(min(count, Self.bulkLimit)) jobs?</h1>
            <p data-testid="confirm-count">\(action.verb) <strong>\(min(count, Self.bulkLimit))</strong> \(count == 1 ? "job" : "jobs") matching \(query.summary).\
            \(count > Self.bulkLimit ? Markup(" At most \(Self.bulkLimit) are handled at once.") : .empty)</p>
            <form method="post" action="/console/jobs/\(action.rawValue)-matching">\(viewer.csrfField)\(query.hiddenFields)
            <input type="hidden" name="expected" value="\(count)">
            <button type="submit" class="danger" data-testid="confirm">\(action.verb) \(min(count, Self.bulkLimit)) jobs</button>
            <a href="/console/jobs?\(query.query)">Back</a></form>
            """
        return ConsolePage(section: .jobs, title: "\(action.verb) matching jobs", viewer: viewer).render(content, request: request)
    }

    private func actOnMatching(_ action: BulkAction, _ context: ArbiterRequestContext) async -> Response {
        let form = context.consoleForm
        let back = "/console/jobs?" + ((try? ConsoleJobQuery(form))?.query ?? "")
        return await self.act("\(action.rawValue)_matching", back: back) {
            let query = try ConsoleJobQuery(form)
            guard let state = query.filter.state, action.states.contains(state) else {
                throw APIError(.badRequest, code: "invalid_parameter", message: "choose a state \(action.rawValue) applies to", field: "state")
            }
            var done = 0
            var skipped = 0
            var cursor: String?
            pages: while done + skipped < Self.bulkLimit {
                let page = try await self.store.list(query.filter, after: cursor, limit: 500)
                for job in page {
                    if done + skipped >= Self.bulkLimit { break pages }
                    do {
                        switch action {
                        case .retry: _ = try await self.scheduler.retry(jobID: job.id)
                        case .cancel: _ = try await self.scheduler.cancel(jobID: job.id, reason: "cancelled from the console (all matching)")
                        }
                        done += 1
                    } catch is JobStoreError {
                        // Moved on since it was listed (finished, or retried by someone else).
                        skipped += 1
                    }
                }
                guard page.count == 500, let last = page.last else { break }
                cursor = last.id
            }
            try await self.audit.recordAuditEvent(
                action: "console.\(action.rawValue)_matching", subjectType: "jobs", subjectID: query.summary,
                details: [("jobs", "\(done)"), ("skipped", "\(skipped)"), ("expected", form["expected"] ?? "")], now: self.now)
            return "\(action == .retry ? "Retried" : "Cancelled") \(done) jobs" + (skipped > 0 ? " (\(skipped) had moved on and were left)." : ".")
        }
    }
}
