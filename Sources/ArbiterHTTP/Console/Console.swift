import ArbiterCore
import ArbiterJobs
import ArbiterPromQL
import ArbiterTSDB
import Foundation
import Hummingbird
import Logging

/// The web console at `/console`: server-rendered pages over the same scheduler, stores, steering
/// board and query engine as the API, each view in a file of its own (`Console+…`). Changes go
/// through the same domain calls as the API, audited under the signed-in token's actor; the access
/// matrix decides who may make them, whatever the page sent.
struct Console: Sendable {
    let scheduler: Scheduler
    let audit: any AuditStore
    let queryAPI: QueryAPI?
    let capacity: CapacityReport?
    let sessions: ConsoleSessions
    let steeringControls: SteeringControls
    /// How often the registry is sampled, in milliseconds.
    let sampleInterval: Int64
    /// The job gauges' last reading of each type's oldest queued job, if they run.
    let oldestQueued: OldestQueued?
    /// Job artifacts, when served.
    let artifacts: (any ArtifactStore)?
    let logger: Logger

    var store: any JobStore { self.scheduler.store }
    var now: Int64 { self.scheduler.clock.nowMilliseconds() }

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/console") { request, context in try await self.overview(request, context) }
        self.registerJobs(on: router)
        self.registerWorkers(on: router)
        router.get("/console/alerts") { request, context in try self.alerts(request, context) }
        self.registerActions(on: router)
        router.get("/console/capacity") { request, context in try self.capacityPage(request, context) }
        router.get("/console/consents") { request, context in try await self.consents(request, context) }
        router.get("/console/audit") { request, context in try await self.auditPage(request, context) }
        router.get("/console/dashboards") { request, context in try self.dashboards(request, context) }
        router.get("/console/dashboards/{uid}") { request, context in try self.dashboard(request, context) }
    }

    /// Runs a change a form asked for and sends the browser back to `back` with what happened.
    func act(_ action: String, back: String, _ body: () async throws -> String) async -> Response {
        let separator = back.contains("?") ? "&" : "?"
        do {
            let done = try await body()
            self.sessions.count(action, "success")
            self.logger.info("console action", metadata: ["action": "\(action)", "actor": "\(AuditActor.current)"])
            return ConsoleRequest.redirect(back + separator + "done=" + ConsoleRequest.encode(done))
        } catch {
            self.sessions.count(action, "failed")
            let message = (error as? APIError)?.message ?? (error as? JobStoreError).map(APIError.init)?.message ?? "\(error)"
            return ConsoleRequest.redirect(back + separator + "error=" + ConsoleRequest.encode(message))
        }
    }

    /// An instant query's samples, keyed by the value of `label` (empty when there is no query engine
    /// or the query fails: the console shows what it can).
    func vector(_ query: String, by label: String) -> [String: Double] {
        guard let api = self.queryAPI, let expr = try? Parser.parse(query),
            case .vector(let samples)? = try? api.engine.instant(expr, at: self.now, on: api.head)
        else { return [:] }
        var values: [String: Double] = [:]
        for sample in samples { values[sample.labels[label] ?? ""] = sample.value }
        return values
    }
}
