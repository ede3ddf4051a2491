import ArbiterJobs
import Foundation
import Hummingbird

/// The first screen: per job type its counts, throughput, failure ratio, oldest queued job and
/// steering status; the firing alerts; the workers and their slots. Refreshes itself every 2 s.
extension Console {
    func overview(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let now = self.now
        async let counts = self.store.countsByType()
        async let paused = self.store.pausedTypes()
        async let workers = self.scheduler.workers.workers()
        let board = self.scheduler.steering.board
        let finished = self.vector("sum by (job_type) (rate(arbiter_jobs_finished_total[1m]))", by: "job_type")
        let failed = self.vector(
            "sum by (job_type) (rate(arbiter_jobs_finished_total{outcome=\"dead\"}[5m])) / sum by (job_type) (rate(arbiter_jobs_finished_total[5m]))",
            by: "job_type")
        let (typeCounts, pausedTypes, workerList) = try await (counts, paused, workers)
        // The gauges' reading (at most a second old) when they run: scanning the queue costs as much as the rest of the page.
        let oldestQueued: [String: Int64]
        if let reading = self.oldestQueued?.current { oldestQueued = reading } else { oldestQueued = try await self.store.oldestQueuedByType() }
        let types = Set(typeCounts.keys).union(self.scheduler.policies.keys).sorted()
        let states: [JobState] = [.scheduled, .queued, .running, .succeeded, .dead, .cancelled]
        let header = states.map { state -> Markup in "<th class=\"num\" scope=\"col\">\(state.rawValue)</th>" }
        let rows = types.map { type -> Markup in
            let cells = states.map { state -> Markup in
                let count = typeCounts[type]?[state] ?? 0
                let link = "/console/jobs?" + ConsoleRequest.queryString([("type", type), ("state", state.rawValue)])
                return "<td class=\"num\" data-testid=\"count-\(type)-\(state.rawValue)\"><a href=\"\(link)\">\(count)</a></td>"
            }
            return """
                <tr><th scope="row"><a href="/console/jobs?type=\(ConsoleRequest.encode(type))">\(type)</a></th>\(cells)\
                <td class="num">\(ConsoleFormat.number(finished[type]))</td><td class="num">\(ConsoleFormat.number(failed[type].map { $0 * 100 }, digits: 1))</td>\
                <td class="num">\(ConsoleFormat.age(oldestQueued[type], now: now))</td><td>\(Self.status(type, paused: pausedTypes.contains(type), board: board))</td></tr>
                """
        }
        let firing = self.firingAlerts()
        let alertRows = firing.map { alert -> Markup in
            "<li><a href=\"/console/alerts\">\(alert.name)</a> <span class=\"muted\">\(alert.labels)</span></li>"
        }
        let online = workerList.filter { $0.state != .offline }
        let slots = online.reduce(0) { $0 + $1.concurrency }
        let busy = online.reduce(0) { $0 + min($1.leasedJobs, $1.concurrency) }
        let byState = WorkerState.allCases.map { state -> Markup in
            "<li>\(ConsoleFormat.state(state.rawValue)) <span data-testid=\"workers-\(state.rawValue)\">\(workerList.filter { $0.state == state }.count)</span></li>"
        }
        let content: Markup = """
            <h1>Overview</h1>
            <table aria-label="Job types"><thead><tr><th scope="col">Job type</th>\(header)\
            <th class="num" scope="col">finished/s (1m)</th><th class="num" scope="col">dead % (5m)</th><th class="num" scope="col">oldest queued</th>\
            <th scope="col">status</th></tr></thead><tbody>\(rows)</tbody></table>
            <div class="grid">
            <section class="panel" aria-labelledby="alerts-h"><h2 id="alerts-h">Firing alerts: <span data-testid="firing-count">\(firing.count)</span></h2>\
            \(firing.isEmpty ? Markup("<p class=\"muted\">None.</p>") : "<ul>\(alertRows)</ul>")</section>
            <section class="panel" aria-labelledby="workers-h"><h2 id="workers-h">Workers</h2>
            <p><span class="stat" data-testid="slots-busy">\(busy)</span> of <span data-testid="slots-total">\(slots)</span> slots busy on \(online.count) workers online</p>
            <ul>\(byState)</ul><p><a href="/console/workers">All workers</a></p></section>
            </div>
            <p class="muted">Updated \(ConsoleFormat.time(now)); refreshes every 2 s.</p>
            """
        return ConsolePage(section: .overview, title: "Overview", viewer: viewer, refresh: 2000).render(content, request: request)
    }

    /// Paused, breaker, throttle and shed, as chips.
    static func status(_ type: String, paused: Bool, board: SteeringBoard) -> Markup {
        var chips: [Markup] = []
        if paused { chips.append("<span class=\"chip s-open\">paused by operator</span>") }
        if let breaker = board.breakers[type], breaker.effectiveState != .closed {
            chips.append("<span class=\"chip s-\(breaker.effectiveState.name)\">breaker \(breaker.effectiveState.name.replacingOccurrences(of: "_", with: " "))</span>")
        }
        if let rate = board.throttle(jobType: type) { chips.append("<span class=\"chip s-pending\">throttled \("\(rate)")</span>") }
        if board.shedding(jobType: type) != nil { chips.append("<span class=\"chip s-open\">shedding</span>") }
        return chips.isEmpty ? "<span class=\"chip s-ok\">running</span>" : Markup(raw: chips.map(\.text).joined(separator: " "))
    }
}
