import ArbiterJobs
import Foundation
import Hummingbird

/// Every worker: state, slots, labels, leases, last heartbeat; drain and remove.
extension Console {
    func registerWorkers(on router: Router<ArbiterRequestContext>) {
        router.get("/console/workers") { request, context in try await self.workersPage(request, context) }
        router.post("/console/workers/{id}/drain") { _, context in
            let id = try context.parameters.require("id")
            return await self.act("drain", back: "/console/workers") {
                _ = try await self.scheduler.drain(workerID: id)
                return "Worker \(id) is draining: it finishes what it holds and takes nothing new."
            }
        }
        router.post("/console/workers/{id}/remove") { _, context in
            let id = try context.parameters.require("id")
            return await self.act("remove", back: "/console/workers") {
                try await self.scheduler.remove(workerID: id)
                return "Worker \(id) was removed; its jobs are queued again."
            }
        }
    }

    func workersPage(_ request: Request, _ context: ArbiterRequestContext) async throws -> Response {
        let viewer = try ConsolePage.Viewer(context)
        let now = self.now
        let workers = try await self.scheduler.workers.workers()
        let rows = try await workers.asyncMap { worker -> Markup in
            let leases = worker.leasedJobs > 0 ? try await self.store.list(JobFilter(leaseWorkerID: worker.id), after: nil, limit: 20) : []
            let leased = leases.map { job -> Markup in "<a href=\"/console/jobs/\(ConsoleRequest.encode(job.id))\"><code>\(job.id)</code></a> " }
            let labels = worker.labels.sorted { $0.key < $1.key }.map { key, value -> Markup in "<span class=\"chip\">\(key)=\(value)</span> " }
            let drain: Markup = self.scheduler.drainInForce(workerID: worker.id) != nil ? " <span class=\"chip s-draining\">drained by alert</span>" : .empty
            let id = ConsoleRequest.encode(worker.id)
            let actions: [Markup] = [
                worker.state == .draining || worker.state == .offline
                    ? .empty : viewer.button("Drain", to: "/console/workers/\(id)/drain", needs: .operate, testID: "drain-\(worker.id)"),
                viewer.button("Remove", to: "/console/workers/\(id)/remove", needs: .operate, style: "danger", testID: "remove-\(worker.id)"),
            ]
            return """
                <tr><td><code>\(worker.id)</code></td><td>\(ConsoleFormat.state(worker.state.rawValue))\(drain)</td>\
                <td class="num">\(worker.leasedJobs)/\(worker.concurrency)</td><td>\(worker.capabilities.joined(separator: ", "))</td><td>\(labels)</td>\
                <td>\(leased)\(worker.leasedJobs > leases.count ? Markup("…") : .empty)</td>\
                <td>\(ConsoleFormat.age(worker.lastHeartbeatAt, now: now)) ago</td><td>\(actions)</td></tr>
                """
        }
        let content: Markup = """
            <h1>Workers</h1>
            \(rows.isEmpty ? Markup("<p class=\"muted\">No worker has registered.</p>") : """
                <table aria-label="Workers"><thead><tr><th>Id</th><th>State</th><th class="num">Leases/slots</th><th>Job types</th><th>Labels</th>\
                <th>Leased jobs</th><th>Last heartbeat</th><th></th></tr></thead><tbody>\(rows)</tbody></table>
                """)
            """
        return ConsolePage(section: .workers, title: "Workers", viewer: viewer, notice: ConsolePage.notice(request)).render(content, request: request)
    }
}

extension Array {
    /// `transform` over the elements, one after another.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        results.reserveCapacity(self.count)
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
