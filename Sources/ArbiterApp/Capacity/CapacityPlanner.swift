import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import ArbiterPromQL
import ArbiterTSDB
import AsyncAlgorithms
import Logging
import ServiceLifecycle

/// Capacity planning from Arbiter's own data: every `interval` it reads the last `window` of the
/// time-series store (arrivals from `arbiter_jobs_submitted_total`, mean service time from
/// `arbiter_job_run_seconds`), counts the slots of live workers that run each type, and sizes each
/// type with Erlang C against `target_wait`. Published as `arbiter_capacity_*{job_type}` and on
/// `GET /api/v1/capacity`.
struct CapacityPlanner: Service {
    let head: Head
    let engine: Engine
    let workers: any WorkerStore
    let report: CapacityReport
    let configuredTypes: [String]
    let interval: Duration
    let logger: Logger
    private let gauges: [String: GaugeFamily]
    private let arrivals: Expr
    private let service: Expr

    init(
        head: Head, engine: Engine, workers: any WorkerStore, report: CapacityReport, configuredTypes: [String], interval: Duration,
        registry: MetricRegistry, logger: Logger
    ) throws {
        self.head = head
        self.engine = engine
        self.workers = workers
        self.report = report
        self.configuredTypes = configuredTypes
        self.interval = interval
        self.logger = logger
        var gauges: [String: GaugeFamily] = [:]
        for (name, help) in [
            ("arrival_rate", "Jobs of the type submitted per second over capacity.window (λ)."),
            ("service_seconds", "Mean attempt duration of the type over capacity.window (S)."),
            ("utilization", "λ·S over the slots of live workers that run the type (ρ); above 1 the queue grows."),
            ("slots", "Slots of live workers that run the type (shared with their other types)."),
            ("recommended_slots", "The fewest slots that keep the type's mean queue wait under capacity.target_wait (Erlang C)."),
            ("predicted_wait_seconds", "The type's mean queue wait with the slots there are now (Erlang C; +Inf when they cannot keep up)."),
        ] {
            gauges[name] = try registry.gaugeFamily("arbiter_capacity_\(name)", help: help, labelNames: ["job_type"])
        }
        self.gauges = gauges
        let window = PrometheusDuration.format(report.current.window)
        self.arrivals = try Parser.parse("sum by (job_type) (rate(arbiter_jobs_submitted_total[\(window)]))")
        self.service = try Parser.parse(
            "sum by (job_type) (rate(arbiter_job_run_seconds_sum[\(window)])) / sum by (job_type) (rate(arbiter_job_run_seconds_count[\(window)]))")
    }

    func run() async throws {
        // A first estimate at start, so `arbiter capacity` lists the configured types at once.
        await self.estimateNow()
        for try await _ in AsyncTimerSequence(interval: self.interval, clock: .continuous).cancelOnGracefulShutdown() {
            await self.estimateNow()
        }
    }

    private func estimateNow() async {
        do {
            try await self.estimate(at: WallClock.nowMilliseconds())
        } catch {
            self.logger.error("capacity estimate failed", metadata: ["error": "\(error)"])
        }
    }

    /// One estimate of every type.
    func estimate(at time: Int64) async throws {
        let arrivals = try self.byType(self.arrivals, at: time)
        let service = try self.byType(self.service, at: time)
        var slots: [String: Int] = [:]
        for worker in try await self.workers.workers() where worker.state != .offline {
            for type in Set(worker.capabilities) { slots[type, default: 0] += worker.concurrency }
        }
        let target = Double(self.report.current.targetWait.wholeMilliseconds) / 1000
        let types = Set(self.configuredTypes).union(arrivals.keys).union(service.keys).sorted()
        let estimates = types.map { type in
            CapacityEstimate(
                jobType: type, arrivalRate: arrivals[type] ?? 0, serviceSeconds: service[type] ?? .nan, slots: slots[type] ?? 0, targetWait: target)
        }
        for estimate in estimates {
            let values: [String: Double] = [
                "arrival_rate": estimate.arrivalRate, "service_seconds": estimate.serviceSeconds, "utilization": estimate.utilization,
                "slots": Double(estimate.slots), "recommended_slots": estimate.recommendedSlots.map(Double.init) ?? .nan,
                "predicted_wait_seconds": estimate.predictedWait,
            ]
            for (name, value) in values { try self.gauges[name]?.labels(estimate.jobType).set(value) }
        }
        self.report.publish(estimates, at: time)
    }

    private func byType(_ expr: Expr, at time: Int64) throws -> [String: Double] {
        guard case .vector(let samples) = try self.engine.instant(expr, at: time, on: self.head) else { return [:] }
        var values: [String: Double] = [:]
        for sample in samples {
            if let type = sample.labels["job_type"] { values[type] = sample.value }
        }
        return values
    }
}
