import ArbiterJobs
import ArbiterMetrics

/// `arbiter_jobs{job_type,state}`, `arbiter_job_type_paused{job_type}` and `arbiter_workers{state}`, refreshed from the store by
/// the job clock.
struct JobGauges: Sendable {
    let jobs: GaugeFamily
    let paused: GaugeFamily
    let workers: GaugeFamily
    let configured: [String]

    init(registry: MetricRegistry, configuredTypes: [String]) throws {
        self.jobs = try registry.gaugeFamily("arbiter_jobs", help: "Jobs in the store, by type and state.", labelNames: ["job_type", "state"])
        self.paused = try registry.gaugeFamily(
            "arbiter_job_type_paused", help: "1 while dispatch of the job type is paused, else 0.", labelNames: ["job_type"])
        self.workers = try registry.gaugeFamily("arbiter_workers", help: "Registered workers, by state.", labelNames: ["state"])
        self.configured = configuredTypes
    }

    func refresh(from store: any JobStore, workers: any WorkerStore) async throws {
        let registered = try await workers.workers()
        for state in WorkerState.allCases {
            try self.workers.labels(state.rawValue).set(Double(registered.filter { $0.state == state }.count))
        }
        let counts = try await store.countsByType()
        let paused = try await store.pausedTypes()
        for type in Set(self.configured).union(counts.keys).union(paused) {
            // Every state gets a value, so a state that empties reads 0 rather than going stale.
            for state in JobState.allCases {
                try self.jobs.labels(type, state.rawValue).set(Double(counts[type]?[state] ?? 0))
            }
            try self.paused.labels(type).set(paused.contains(type) ? 1 : 0)
        }
    }
}
