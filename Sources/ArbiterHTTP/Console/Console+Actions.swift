import ArbiterJobs
import Foundation
import HTTPTypes
import Hummingbird

/// The steering board: every action in force with its causes, every breaker with its state and
/// probes; force a breaker, silence an action.
extension Console {
    func registerActions(on router: Router<ArbiterRequestContext>) {
        router.get("/console/actions") { request, context in try self.actionsPage(request, context) }
        router.post("/console/actions/breakers/{type}") { _, context in
            let type = try context.parameters.require("type")
            let form = context.consoleForm
            return await self.act("breaker_override", back: "/console/actions") {
                let state = form["state"] ?? ""
                try await self.steeringControls.overrideBreaker(
                    jobType: type, state: state, duration: try SteeringControls.duration(form["duration"], required: false))
                return state == "auto" ? "The breaker for \(type) follows its alerts again." : "The breaker for \(type) is forced \(state)."
            }
        }
        router.post("/console/actions/silences") { _, context in
            let form = context.consoleForm
            return await self.act("silence", back: "/console/actions") {
                guard let kind = form["action"].flatMap(SteeringAction.Kind.init(rawValue:)) else {
                    throw APIError(.badRequest, code: "invalid_field", message: "action must name a steering action", field: "action")
                }
                let target: SteeringAction.Target
                if let type = form["job_type"], !type.isEmpty {
                    target = .jobType(type)
                } else if let worker = form["worker_id"], !worker.isEmpty {
                    target = .worker(worker)
                } else {
                    target = .everyType
                }
                let duration = try SteeringControls.duration(form["duration"], required: true)!
                try await self.steeringControls.silence(SteeringBoard.Key(kind: kind, target: target), for: duration)
                return duration > .zero ? "\(kind.rawValue) \(target) is silenced for \(form["duration"] ?? "")." : "\(kind.rawValue) \(target) is no longer silenced."
            }
        }
    }

    func actionsPage(_ request: Request, _ context: ArbiterRequestContext) throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let board = self.scheduler.steering.board
        let actions = board.active.map { active -> Markup in
            let causes = active.activations.map { activation -> Markup in
                "<div>\(activation.driver.isExternal ? "Alertmanager" : "rule") <b>\(activation.alertName)</b></div>"
            }
            var fields: [(String, String)] = [("action", active.key.kind.rawValue)]
            switch active.key.target {
            case .jobType(let type): fields.append(("job_type", type))
            case .worker(let id): fields.append(("worker_id", id))
            case .everyType: break
            }
            let silenced = active.silencedUntil.map { until -> Markup in "silenced until \(ConsoleFormat.time(until))" } ?? .empty
            let silence: Markup = active.silencedUntil == nil
                ? viewer.button("Silence 1 h", to: "/console/actions/silences", needs: .operate, fields: fields + [("duration", "1h")])
                : viewer.button("Lift silence", to: "/console/actions/silences", needs: .operate, fields: fields + [("duration", "0s")])
            var detail: Markup = .empty
            if active.key.kind == .throttle, let rate = active.rate { detail = "\("\(rate)")" }
            if active.key.kind == .pause { detail = "probe \(active.probe)" }
            return """
                <tr><td>\(ConsoleFormat.state(active.key.kind.rawValue))</td><td>\("\(active.key.target)")</td><td>\(detail)</td><td>\(causes)</td>\
                <td>\(ConsoleFormat.time(active.since))</td><td>\(silenced)</td><td>\(silence)</td></tr>
                """
        }
        let breakers = board.breakers.sorted { $0.key < $1.key }.map { type, breaker -> Markup in
            var probes: Markup = .empty
            if case .halfOpen(let admitted, let succeeded) = breaker.effectiveState {
                probes = "\(admitted) admitted, \(succeeded) succeeded of \(breaker.probeSize)"
            }
            let override: Markup
            switch breaker.override {
            case .forceOpen(let until), .forceClose(let until):
                override = "forced \(breaker.effectiveState == .open ? "open" : "closed")\(until.map { until -> Markup in " until \(ConsoleFormat.time(until))" } ?? .empty)"
            case nil: override = "<span class=\"muted\">follows alerts</span>"
            }
            let path = "/console/actions/breakers/\(ConsoleRequest.encode(type))"
            let buttons: [Markup] = [
                viewer.button("Force open", to: path, needs: .operate, fields: [("state", "open")], style: "danger", testID: "force-open-\(type)"),
                viewer.button("Force closed", to: path, needs: .operate, fields: [("state", "closed")]),
                breaker.override == nil ? .empty : viewer.button("Follow alerts", to: path, needs: .operate, fields: [("state", "auto")]),
            ]
            return """
                <tr><td>\(type)</td><td data-testid="breaker-\(type)">\(ConsoleFormat.state(breaker.effectiveState.name))</td><td>\(probes)</td>\
                <td>\(override)</td><td>\(buttons)</td></tr>
                """
        }
        let content: Markup = """
            <h1>Actions</h1>
            <h2>In force</h2>
            \(actions.isEmpty ? Markup("<p class=\"muted\">No steering action is in force.</p>") : """
                <table aria-label="Actions in force"><thead><tr><th>Action</th><th>Target</th><th>Detail</th><th>Causes</th><th>Since</th><th>Silence</th>\
                <th></th></tr></thead><tbody>\(actions)</tbody></table>
                """)
            <h2>Circuit breakers</h2>
            \(breakers.isEmpty ? Markup("<p class=\"muted\">No job type has a breaker yet (one appears when an alert first pauses a type, or when forced).</p>") : """
                <table aria-label="Circuit breakers"><thead><tr><th>Job type</th><th>State</th><th>Probes</th><th>Override</th><th></th></tr></thead>
                <tbody>\(breakers)</tbody></table>
                """)
            \(self.forceBreakerForm(viewer, board: board))
            """
        return ConsolePage(section: .actions, title: "Actions", viewer: viewer, notice: ConsolePage.notice(request)).render(content, request: request)
    }

    /// Forcing the breaker of a configured type that has none yet (the others have buttons in the table).
    private func forceBreakerForm(_ viewer: ConsolePage.Viewer, board: SteeringBoard) -> Markup {
        let types = self.scheduler.policies.keys.filter { board.breakers[$0] == nil }.sorted()
        guard viewer.may(.operate), !types.isEmpty else { return .empty }
        let buttons = types.map { type -> Markup in
            "\(viewer.button("Force \(type) open for 1 h", to: "/console/actions/breakers/\(ConsoleRequest.encode(type))", needs: .operate, fields: [("state", "open"), ("duration", "1h")])) "
        }
        return "<h2>Force a breaker</h2><p>\(buttons)</p>"
    }
}
