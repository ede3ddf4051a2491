import ArbiterJobs
import ArbiterMetrics
import Hummingbird

/// Builds the HTTP routes: health, readiness, `/metrics` and the API under `/api/v1`.
public enum ArbiterRouter {
    /// What the routes need from the rest of the daemon.
    public struct Dependencies: Sendable {
        /// The metrics registry that `/metrics` renders and the HTTP metrics land in.
        public var registry: MetricRegistry
        /// Startup and shutdown state for `/readyz`.
        public var readiness: Readiness
        /// Components reported on `/health/detailed`.
        public var healthChecks: [any HealthCheck]
        /// When the daemon started, for the uptime on `/health/detailed`.
        public var startedAt: ContinuousClock.Instant
        /// Where jobs are kept.
        public var jobStore: any JobStore
        /// Where workers are kept.
        public var workerStore: any WorkerStore
        /// Per-type defaults from the configuration.
        public var jobTypes: [String: JobTypePolicy]
        /// Submission size limits.
        public var jobLimits: JobLimits
        /// How long a lease lasts without a progress report.
        public var leaseTimeout: Duration
        /// Counters fed by job transitions.
        public var jobMetrics: JobMetrics

        public init(
            registry: MetricRegistry, readiness: Readiness, healthChecks: [any HealthCheck], startedAt: ContinuousClock.Instant = .now,
            jobStore: any JobStore, workerStore: any WorkerStore, jobTypes: [String: JobTypePolicy], jobLimits: JobLimits = JobLimits(),
            leaseTimeout: Duration = .seconds(30), jobMetrics: JobMetrics
        ) {
            self.jobMetrics = jobMetrics
            self.leaseTimeout = leaseTimeout
            self.workerStore = workerStore
            self.registry = registry
            self.readiness = readiness
            self.healthChecks = healthChecks
            self.startedAt = startedAt
            self.jobStore = jobStore
            self.jobTypes = jobTypes
            self.jobLimits = jobLimits
        }
    }

    /// Builds the router.
    /// - Parameter dependencies: Registry, readiness and health checks.
    /// - Returns: A router whose every request is counted and timed.
    /// - Throws: ``MetricsError`` when the HTTP metrics cannot be registered.
    public static func build(_ dependencies: Dependencies) throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: try HTTPMetricsMiddleware(registry: dependencies.registry))
        // Hummingbird's own request metrics, landing in the registry through the swift-metrics bridge.
        router.add(middleware: MetricsMiddleware())
        HealthEndpoints(readiness: dependencies.readiness, checks: dependencies.healthChecks, startedAt: dependencies.startedAt)
            .register(on: router)
        try MetricsEndpoint(registry: dependencies.registry).register(on: router)
        JobsEndpoints(
            store: dependencies.jobStore, policies: dependencies.jobTypes, limits: dependencies.jobLimits, metrics: dependencies.jobMetrics
        ).register(on: router)
        JobTypesEndpoints(store: dependencies.jobStore, policies: dependencies.jobTypes).register(on: router)
        WorkersEndpoints(store: dependencies.workerStore, jobs: dependencies.jobStore, limits: dependencies.jobLimits).register(on: router)
        DispatchEndpoints(
            jobs: dependencies.jobStore, workers: dependencies.workerStore, policies: dependencies.jobTypes, leaseTimeout: dependencies.leaseTimeout,
            limits: dependencies.jobLimits, metrics: dependencies.jobMetrics
        ).register(on: router)
        return router
    }
}
