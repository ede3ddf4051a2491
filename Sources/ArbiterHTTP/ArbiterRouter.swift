import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import Hummingbird
import Logging

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
        /// Dispatch decisions, fenced reports and cancellation notices, over the job and worker stores.
        public var scheduler: Scheduler
        /// Submission size limits.
        public var jobLimits: JobLimits
        /// Job metrics, fed by the API and the scheduler.
        public var jobMetrics: JobMetrics
        /// How often connected workers are asked to heartbeat.
        public var heartbeatInterval: Duration
        /// How long a silent worker stays online (`workers.timeout`), told to HTTP workers at registration.
        public var workerTimeout: Duration
        /// Authentication, lockout and the stores behind tokens and the audit log.
        public var access: Access
        /// The Prometheus-compatible query, rules and alerts API; not served when `nil`.
        public var queryAPI: QueryAPI?
        /// The capacity planner's latest estimates; `/api/v1/capacity` is not served when `nil`.
        public var capacity: CapacityReport?
        /// The replicas and the leader; `/api/v1/cluster` is not served when `nil`.
        public var cluster: (any ClusterView)?
        /// The web console at `/console`; not served when `nil`.
        public var console: ConsoleOptions?
        /// Job artifacts (`/api/v1/jobs/{id}/artifacts`); not served when `nil`.
        public var artifacts: ArtifactOptions?

        public init(
            registry: MetricRegistry, readiness: Readiness, healthChecks: [any HealthCheck], startedAt: ContinuousClock.Instant = .now,
            scheduler: Scheduler, jobLimits: JobLimits = JobLimits(), jobMetrics: JobMetrics, heartbeatInterval: Duration = .seconds(5),
            workerTimeout: Duration = .seconds(15), access: Access, queryAPI: QueryAPI? = nil, capacity: CapacityReport? = nil,
            cluster: (any ClusterView)? = nil, console: ConsoleOptions? = nil, artifacts: ArtifactOptions? = nil
        ) {
            self.console = console
            self.artifacts = artifacts
            self.access = access
            self.queryAPI = queryAPI
            self.capacity = capacity
            self.cluster = cluster
            self.registry = registry
            self.readiness = readiness
            self.healthChecks = healthChecks
            self.startedAt = startedAt
            self.scheduler = scheduler
            self.jobLimits = jobLimits
            self.jobMetrics = jobMetrics
            self.heartbeatInterval = heartbeatInterval
            self.workerTimeout = workerTimeout
        }
    }

    /// The console's sessions and what its pages need to know about the daemon.
    public struct ConsoleOptions: Sendable {
        public var sessions: ConsoleSessions
        /// Cookies marked `Secure` (the daemon serves TLS).
        public var secureCookies: Bool
        /// How often the registry is sampled: the dashboards' finest step and their `$__rate_interval`.
        public var sampleInterval: Duration
        /// The job gauges' last reading of each type's oldest queued job (read from the store when `nil`).
        public var oldestQueued: OldestQueued?

        public init(sessions: ConsoleSessions, secureCookies: Bool = false, sampleInterval: Duration = .seconds(15), oldestQueued: OldestQueued? = nil) {
            self.oldestQueued = oldestQueued
            self.sessions = sessions
            self.secureCookies = secureCookies
            self.sampleInterval = sampleInterval
        }
    }

    /// Who may call what, and the stores the access and audit routes use.
    public struct Access: Sendable {
        public var tokens: any TokenStore
        public var audit: any AuditStore
        public var authenticator: Authenticator
        public var lockout: AuthLockout
        /// Whether `/metrics` is served without a token.
        public var metricsPublic: Bool
        public var logger: Logger

        public init(
            tokens: any TokenStore, audit: any AuditStore, jwt: (any BearerVerifier)? = nil, lockout: AuthLockout = AuthLockout(),
            metricsPublic: Bool = false, logger: Logger = Logger(label: "arbiter")
        ) {
            self.tokens = tokens
            self.audit = audit
            let verifier = TokenVerifier(store: tokens)
            // A token revoked on any replica sharing the lockout's coordination is forgotten here at once.
            lockout.coordination.onTokenRevoked { verifier.forget(tokenID: $0) }
            self.authenticator = Authenticator(tokens: verifier, jwt: jwt)
            self.lockout = lockout
            self.metricsPublic = metricsPublic
            self.logger = logger
        }
    }

    /// Builds the router.
    /// - Parameter dependencies: Registry, readiness and health checks.
    /// - Returns: A router whose every request is counted and timed.
    /// - Throws: ``MetricsError`` when the HTTP metrics cannot be registered.
    public static func build(_ dependencies: Dependencies) throws -> Router<ArbiterRequestContext> {
        let router = Router(context: ArbiterRequestContext.self)
        // Outermost, so a refused WebSocket upgrade is answered with the refusal every layer below made.
        router.add(middleware: UpgradeRefusalMiddleware())
        router.add(middleware: ClosingConnectionsMiddleware(readiness: dependencies.readiness))
        router.add(middleware: try HTTPMetricsMiddleware(registry: dependencies.registry))
        // Hummingbird's own request metrics, landing in the registry through the swift-metrics bridge.
        router.add(middleware: MetricsMiddleware())
        let access = dependencies.access
        router.add(middleware: try AccessMiddleware(
            authenticator: access.authenticator, lockout: access.lockout, metricsPublic: access.metricsPublic,
            sessions: dependencies.console?.sessions, registry: dependencies.registry, logger: access.logger))
        router.add(middleware: StoreFailureMiddleware())
        HealthEndpoints(readiness: dependencies.readiness, checks: dependencies.healthChecks, startedAt: dependencies.startedAt)
            .register(on: router)
        try MetricsEndpoint(registry: dependencies.registry).register(on: router)
        APIDocsEndpoints().register(on: router)
        let scheduler = dependencies.scheduler
        JobsEndpoints(
            scheduler: scheduler, policies: scheduler.policies, limits: dependencies.jobLimits, metrics: dependencies.jobMetrics,
            artifacts: dependencies.artifacts?.store
        ).register(on: router)
        JobTypesEndpoints(scheduler: scheduler, policies: scheduler.policies).register(on: router)
        if let artifacts = dependencies.artifacts {
            ArtifactsEndpoints(options: artifacts, scheduler: scheduler, metrics: try ArtifactMetrics(registry: dependencies.registry)).register(on: router)
        }
        let controls = SteeringControls(steering: scheduler.steering, audit: access.audit, clock: scheduler.clock)
        ActionsEndpoints(steering: scheduler.steering, audit: access.audit, limits: dependencies.jobLimits, clock: scheduler.clock).register(on: router)
        if let capacity = dependencies.capacity { CapacityEndpoints(report: capacity).register(on: router) }
        if let cluster = dependencies.cluster { ClusterEndpoints(view: cluster).register(on: router) }
        WorkersEndpoints(
            scheduler: scheduler, limits: dependencies.jobLimits, heartbeatInterval: dependencies.heartbeatInterval,
            workerTimeout: dependencies.workerTimeout
        ).register(on: router)
        DispatchEndpoints(scheduler: scheduler, limits: dependencies.jobLimits, metrics: dependencies.jobMetrics).register(on: router)
        WorkerChannel(scheduler: scheduler, metrics: dependencies.jobMetrics, limits: dependencies.jobLimits, heartbeatInterval: dependencies.heartbeatInterval)
            .register(on: router)
        TokensEndpoints(store: access.tokens, coordination: access.lockout.coordination, maxBodyBytes: dependencies.jobLimits.maxBodyBytes, logger: access.logger)
            .register(on: router)
        AuditEndpoints(store: access.audit).register(on: router)
        if let consents = scheduler.consents {
            ConsentsEndpoints(
                scheduler: scheduler, store: consents, metrics: dependencies.jobMetrics.consent, maxBodyBytes: dependencies.jobLimits.maxBodyBytes,
                logger: access.logger
            ).register(on: router)
        }
        if let queryAPI = dependencies.queryAPI {
            QueryEndpoints(api: queryAPI, maxBodyBytes: dependencies.jobLimits.maxBodyBytes).register(on: router)
            RulesEndpoints(rules: queryAPI.rules, audit: access.audit).register(on: router)
        }
        if let console = dependencies.console {
            ConsoleAssets.register(on: router)
            ConsoleSignIn(
                sessions: console.sessions, authenticator: access.authenticator, lockout: access.lockout, audit: access.audit, clock: scheduler.clock,
                secureCookies: console.secureCookies, logger: access.logger
            ).register(on: router)
            Console(
                scheduler: scheduler, audit: access.audit, queryAPI: dependencies.queryAPI, capacity: dependencies.capacity, sessions: console.sessions,
                steeringControls: controls, sampleInterval: console.sampleInterval.wholeMilliseconds, oldestQueued: console.oldestQueued,
                artifacts: dependencies.artifacts?.store, logger: access.logger
            ).register(on: router)
        }
        return router
    }
}
