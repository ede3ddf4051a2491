import ArbiterJobs
import Hummingbird

/// The capacity plan: per type λ, S, ρ, slots now and recommended, predicted wait.
extension Console {
    func capacityPage(_ request: Request, _ context: ArbiterRequestContext) throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let content: Markup
        if let snapshot = self.capacity?.current {
            let rows = snapshot.estimates.map { estimate -> Markup in
                let short = estimate.recommendedSlots.map { $0 > estimate.slots } ?? false
                return """
                    <tr><td>\(estimate.jobType)</td><td class="num">\(ConsoleFormat.number(estimate.arrivalRate, digits: 3))</td>\
                    <td class="num">\(ConsoleFormat.duration(seconds: estimate.serviceSeconds))</td>\
                    <td class="num">\(ConsoleFormat.number(estimate.utilization, digits: 2))</td><td class="num">\(estimate.slots)</td>\
                    <td class="num\(short ? Markup(" s-open") : .empty)">\(estimate.recommendedSlots.map(String.init) ?? "–")</td>\
                    <td class="num">\(ConsoleFormat.duration(seconds: estimate.predictedWait))</td></tr>
                    """
            }
            content = """
                <h1>Capacity</h1>
                <p class="muted">Over the last \(ConsoleFormat.duration(seconds: Double(snapshot.window.components.seconds))), for a target wait of \
                \(ConsoleFormat.duration(seconds: Double(snapshot.targetWait.components.seconds))); planned \(ConsoleFormat.time(snapshot.time > 0 ? snapshot.time : nil)).</p>
                \(rows.isEmpty ? Markup("<p class=\"muted\">No estimate yet: the planner needs a window of samples.</p>") : """
                    <table aria-label="Capacity"><thead><tr><th>Job type</th><th class="num">λ arrivals/s</th><th class="num">S service time</th>\
                    <th class="num">ρ utilisation</th><th class="num">Slots now</th><th class="num">Recommended</th><th class="num">Predicted wait</th></tr></thead>
                    <tbody>\(rows)</tbody></table>
                    """)
                """
        } else {
            content = "<h1>Capacity</h1><p class=\"muted\">The capacity planner does not run in this daemon.</p>"
        }
        return ConsolePage(section: .capacity, title: "Capacity", viewer: viewer).render(content, request: request)
    }
}
