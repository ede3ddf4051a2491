import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics

/// `arbiter_jobs{job_type,state}`, `arbiter_job_type_paused{job_type}`, `arbiter_job_oldest_queued_age_seconds{job_type}`,
/// `arbiter_workers{state}` and `arbiter_worker_slots{state}`, refreshed from the store by the job clock;
/// `arbiter_job_type_consent_required{job_type}` from the configuration; and
/// `arbiter_worker_offline_total{worker_id}`, counted by the clock. Each refresh also creates, at 0,
/// the counters of the job types and workers it sees (``JobMetrics/prepare(jobTypes:workerIDs:)``).
struct JobGauges: Sendable {
    let jobs: GaugeFamily
    let paused: GaugeFamily
    let workers: GaugeFamily
    let slots: GaugeFamily
    let oldestQueued: GaugeFamily
    let wentOffline: CounterFamily
    let configured: [String]
    let jobMetrics: JobMetrics
    /// Where each reading of the oldest queued jobs is left for the console.
    let oldestQueuedReading: OldestQueued

    init(registry: MetricRegistry, policies: [String: JobTypePolicy], jobMetrics: JobMetrics, oldestQueued: OldestQueued = OldestQueued()) throws {
        self.jobMetrics = jobMetrics
        self.oldestQueuedReading = oldestQueued
        self.jobs = try registry.gaugeFamily("arbiter_jobs", help: "Jobs in the store, by type and state.", labelNames: ["job_type", "state"])
        self.paused = try registry.gaugeFamily(
            "arbiter_job_type_paused", help: "1 while dispatch of the job type is paused, else 0.", labelNames: ["job_type"])
        self.workers = try registry.gaugeFamily("arbiter_workers", help: "Registered workers, by state.", labelNames: ["state"])
        self.slots = try registry.gaugeFamily(
            "arbiter_worker_slots", help: "Job slots of workers that are not offline: busy (running a job) or free.", labelNames: ["state"])
        self.oldestQueued = try registry.gaugeFamily(
            "arbiter_job_oldest_queued_age_seconds", help: "How long the longest-waiting queued job of the type has been eligible; 0 when none is queued.",
            labelNames: ["job_type"])
        self.wentOffline = try registry.counterFamily(
            "arbiter_worker_offline_total", help: "Times the worker missed its heartbeats and was marked offline.", labelNames: ["worker_id"])
        self.configured = Array(policies.keys)
        // Which types are consent-gated, so rules can act on them all (the audit-failure shed does).
        let consent = try registry.gaugeFamily(
            "arbiter_job_type_consent_required", help: "1 for a job type whose jobs need their user's consent, else 0.", labelNames: ["job_type"])
        for (type, policy) in policies { try consent.labels(type).set(policy.requiresConsent == nil ? 0 : 1) }
        for scope in Set(policies.values.compactMap(\.requiresConsent)) { jobMetrics.consent.prepare(scope: scope) }
    }

    /// Workers the clock marked offline.
    func wentOffline(_ ids: [String]) {
        for id in ids { try? self.wentOffline.labels(id).increment() }
    }

    func refresh(from store: any JobStore, workers: any WorkerStore) async throws {
        let registered = try await workers.workers()
        // A worker's count exists from its registration, so its first time offline is an increase.
        for worker in registered { _ = try? self.wentOffline.labels(worker.id) }
        for state in WorkerState.allCases {
            try self.workers.labels(state.rawValue).set(Double(registered.filter { $0.state == state }.count))
        }
        let live = registered.filter { $0.state != .offline }
        let busy = live.reduce(0) { $0 + $1.leasedJobs }
        try self.slots.labels("busy").set(Double(busy))
        try self.slots.labels("free").set(Double(max(0, live.reduce(0) { $0 + $1.concurrency } - busy)))
        let counts = try await store.countsByType()
        let oldest = try await store.oldestQueuedByType()
        self.oldestQueuedReading.record(oldest)
        let now = WallClock.nowMilliseconds()
        let paused = try await store.pausedTypes()
        let types = Set(self.configured).union(counts.keys).union(paused)
        self.jobMetrics.prepare(jobTypes: types, workerIDs: registered.map(\.id))
        for type in types {
            // Every state gets a value, so a state that empties reads 0 rather than going stale.
            for state in JobState.allCases {
                try self.jobs.labels(type, state.rawValue).set(Double(counts[type]?[state] ?? 0))
            }
            try self.paused.labels(type).set(paused.contains(type) ? 1 : 0)
            try self.oldestQueued.labels(type).set(oldest[type].map { Double(max(0, now - $0)) / 1000 } ?? 0)
        }
    }
}
