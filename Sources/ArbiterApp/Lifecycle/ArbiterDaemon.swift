import ArbiterCore
import ArbiterHTTP
import ArbiterJobs
import ArbiterMetrics
import ArbiterNotifier
import ArbiterPostgres
import ArbiterRedis
import ArbiterPromQL
import ArbiterRemoteWrite
import ArbiterRules
import ArbiterStorage
import ArbiterTSDB
import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The composition root of `arbiter serve`: builds every service from the configuration and runs
/// them in one `ServiceGroup` until SIGTERM or SIGINT.
///
/// - Important: On SIGTERM/SIGINT `/readyz` turns 503 at once, the listener closes after
///   `shutdown.delay`, in-flight requests finish, and `run()` returns normally. Work still running
///   when `shutdown.grace_period` ends is cancelled.
public struct ArbiterDaemon: Sendable {
    let loaded: LoadedConfiguration
    let registry: MetricRegistry
    let logger: Logger
    /// Whether the store writes the audit log; `false` only for benchmarks measuring its cost.
    let auditing: Bool

    /// - Parameters:
    ///   - loaded: The checked configuration.
    ///   - registry: The process's metrics registry (bootstrapped into swift-metrics by `main`).
    ///   - logger: The root logger.
    ///   - auditing: Leave it on. `false` exists only to measure what the audit log costs.
    public init(loaded: LoadedConfiguration, registry: MetricRegistry, logger: Logger, auditing: Bool = true) {
        self.auditing = auditing
        self.loaded = loaded
        self.registry = registry
        self.logger = logger
    }

    /// Runs until a shutdown signal, then drains and returns.
    /// - Throws: ``StartupError`` when the data directory or the listen address cannot be used.
    public func run() async throws {
        let configuration = self.loaded.configuration
        for warning in self.loaded.warnings {
            self.logger.warning("\(warning)")
        }
        let dataDirectory = DataDirectory(path: configuration.dataDirectory)
        try dataDirectory.prepare()
        var store = StoreMigration(dataDirectory: configuration.dataDirectory, location: configuration.store)
        store.poolSize = configuration.storePoolSize
        let migrated: MigrationReport
        do {
            migrated = try await store.run()
        } catch {
            throw StartupError("cannot prepare the store: \(error)")
        }
        store.log(migrated, to: self.logger)
        let storeMetrics = try StoreMetrics(registry: self.registry)
        let auditMetrics = try AuditMetrics(registry: self.registry)
        let jobMetrics = try JobMetrics(registry: self.registry)
        let vault = try VaultKeys(configuration: configuration).load(logger: self.logger)
        let access = AccessSetup(configuration: configuration)
        let tls = try access.tlsConfiguration()
        let jobStore: Ledger
        do {
            jobStore = try store.open(
                options: LedgerOptions(auditObserver: auditMetrics, vault: vault, consentObserver: jobMetrics.consent, auditing: self.auditing),
                observer: try StorePoolMetrics(registry: self.registry, logger: self.logger, commits: storeMetrics)
            ) { storeMetrics.committed(operations: $0, duration: $1) }
        } catch {
            throw StartupError("cannot open the store: \(error)")
        }
        do {
            try await AdminTokenBootstrap(store: jobStore, dataDirectory: configuration.dataDirectory, tokenFile: configuration.adminTokenFile)
                .run(logger: self.logger)
            // The head as this start found it, for whoever keeps the logs: a later
            // `arbiter audit verify --expect-head SEQ:HASH` tells whether entries were cut off since.
            if let head = try await jobStore.auditChainHead() {
                self.logger.info("audit chain head", metadata: ["seq": "\(head.seq)", "hash": "\(Hex.encode(head.hash))", "expect_head": "\(head)"])
            }
            // The configuration in force is a change like any other: its fingerprint goes into the audit log.
            let rendered = ConfigurationPrinter.render(self.loaded)
            try await jobStore.recordAuditEvent(
                action: "config.loaded", subjectType: "config", subjectID: self.loaded.file ?? "defaults",
                details: [("sha256", Hex.encode(Array(SHA256.hash(data: Array(rendered.utf8)))))], now: WallClock.nowMilliseconds())
        } catch {
            try? await jobStore.close()
            throw error as? StartupError ?? StartupError("cannot write the store at start: \(error)")
        }

        let steeringReporter = try SteeringReporter(registry: self.registry, audit: jobStore, logger: self.logger)
        // One clock and one coordination for everything that decides by the time or shares state
        // with other replicas: the scheduler, its loops, the steering board, the auth lockout.
        let clock = SystemClock()
        let steering = SteeringState(observer: steeringReporter, clock: clock)
        let coordination = LocalCoordination(clock: clock, steering: steering)
        let scheduler = Scheduler(
            store: jobStore, workers: jobStore, consents: jobStore, policies: configuration.jobTypes, leaseTimeout: configuration.leaseTimeout,
            observer: jobMetrics, coordination: coordination, clock: clock)
        // Work queued by another process on the same database wakes this one's dispatch loops.
        jobStore.onQueued { _ in coordination.announceWork() }
        let oldestQueued = OldestQueued()
        let jobGauges = try JobGauges(registry: self.registry, policies: configuration.jobTypes, jobMetrics: jobMetrics, oldestQueued: oldestQueued)
        let clusterMetrics = configuration.clustered ? try ClusterMetrics(registry: self.registry) : nil
        let cluster = clusterMetrics.flatMap { self.leaderElection(metrics: $0) }
        let head = Head(options: .init(retention: configuration.tsdbRetention, maxSeries: configuration.tsdbMaxSeries))
        let leadership = cluster?.leadership ?? .alone()
        let (ruleManager, notifier, engine) = try self.rules(head: head, steering: steering, leadership: leadership)
        let capacity = CapacityReport(window: configuration.capacityWindow, targetWait: configuration.capacityTargetWait)
        let planner = try CapacityPlanner(
            head: head, engine: engine, workers: jobStore, report: capacity, configuredTypes: Array(configuration.jobTypes.keys),
            interval: configuration.ruleEvaluationInterval, registry: self.registry, logger: self.logger)
        let readiness = Readiness()
        let listener = ListenerHealth()
        let localView = LocalClusterView(
            replicaID: Self.replicaID(configuration), clustered: configuration.clustered, startedAt: WallClock.nowMilliseconds(), listener: listener,
            coordination: coordination, leadership: leadership)
        var coordinator: ClusterCoordinator?
        if let clusterMetrics {
            coordinator = try self.clusterCoordinator(local: localView, coordination: coordination, leadership: leadership, metrics: clusterMetrics)
        }
        let clusterView: any ClusterView = coordinator ?? localView
        let router = try ArbiterRouter.build(.init(
            registry: self.registry,
            readiness: readiness,
            healthChecks: [
                listener, dataDirectory, StoreHealth(migration: store, version: migrated.version, store: jobStore), RegistryHealth(registry: self.registry),
            ],
            scheduler: scheduler,
            jobLimits: JobLimits(
                maxPayloadBytes: configuration.maxPayloadBytes, maxBodyBytes: configuration.maxBodyBytes, maxBatchJobs: configuration.maxBatchJobs),
            jobMetrics: jobMetrics,
            // Three heartbeats fit in the offline timeout, so one lost heartbeat does not take a worker offline.
            heartbeatInterval: configuration.workerTimeout / 3,
            workerTimeout: configuration.workerTimeout,
            access: .init(
                tokens: jobStore, audit: jobStore, jwt: try await access.jwtVerifier(),
                lockout: AuthLockout(
                    policy: .init(failures: configuration.lockoutFailures, window: configuration.lockoutWindow, duration: configuration.lockoutDuration),
                    clock: clock, coordination: coordination),
                metricsPublic: configuration.metricsPublic, logger: self.logger),
            queryAPI: QueryAPI(head: head, engine: engine, rules: ruleManager, registry: self.registry),
            capacity: capacity,
            cluster: clusterView,
            console: .init(
                sessions: try ConsoleSessions(registry: self.registry, clock: clock), secureCookies: configuration.tlsCertificateFile != nil,
                sampleInterval: configuration.tsdbSampleInterval, oldestQueued: oldestQueued),
            artifacts: ArtifactOptions(store: jobStore, limits: configuration.artifactLimits)
        ))
        let logger = self.logger
        let plain = GuardedHTTPChannel.builder(
            webSocketRouter: router,
            configuration: .init(
                http1: .init(idleTimeout: TimeAmount(configuration.httpIdleTimeout)),
                ws: .init(
                    // The worker channel's message limit, which it states in its hello.
                    maxFrameSize: JobLimits(maxPayloadBytes: configuration.maxPayloadBytes, maxBodyBytes: configuration.maxBodyBytes).maxWorkerMessageBytes,
                    autoPing: .enabled(timePeriod: .seconds(30)))),
            headerTimeout: configuration.httpHeaderTimeout)
        let app = Application(
            router: router,
            server: try tls.map { try .tls(plain, tlsConfiguration: $0) } ?? plain,
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "Arbiter"),
            onServerRunning: { channel in
                let address = channel.localAddress.map(Self.describe) ?? "\(configuration.listen)"
                listener.markBound(address)
                readiness.markReady()
                logger.info(
                    "arbiter is ready", metadata: ["address": "\(address)", "version": "\(ArbiterVersion.version)", "tls": "\(tls != nil)"])
            },
            logger: logger
        )
        let remoteWrite = try self.remoteWrite()
        let interval = configuration.tsdbSampleInterval
        let sampler = try RegistrySampler(
            registry: self.registry, head: head, interval: interval, remoteWrite: remoteWrite,
            cluster: coordinator.map { coordinator in
                .init(instance: localView.replicaID, exchange: { await coordinator.exchange($0, keepFor: interval * 3) }, leadership: leadership)
            }, logger: logger)
        typealias Entry = ServiceGroupConfiguration.ServiceConfiguration
        var services: [Entry] = [
            // Started first and stopped last: the store outlives every request.
            .init(service: JobStoreService(store: jobStore), successTerminationBehavior: .ignore),
            // Stopped after everything that steers, so the last changes are audited.
            .init(service: steeringReporter, successTerminationBehavior: .ignore),
            .init(service: DueJobPromoter(scheduler: scheduler, logger: logger), successTerminationBehavior: .ignore),
            .init(
                service: JobClock(
                    scheduler: scheduler, gauges: jobGauges, audit: (jobStore, auditMetrics), consentMetrics: jobMetrics.consent,
                    workerTimeout: configuration.workerTimeout, interval: .seconds(1), logger: logger, leadership: leadership),
                successTerminationBehavior: .ignore),
            .init(
                service: JobPruner(
                    store: jobStore, policy: configuration.retention, overrides: configuration.jobTypes.mapValues(\.retention),
                    interval: configuration.retentionInterval, metrics: try RetentionMetrics(registry: self.registry, sqlite: configuration.store == .sqlite), clock: clock,
                    leadership: leadership, dataDirectory: configuration.store == .sqlite ? configuration.dataDirectory : nil, logger: logger),
                successTerminationBehavior: .ignore),
        ]
        // Stopped before the job clock (in reverse order): this replica stops leading, then gives the lock up.
        if let cluster { services.append(.init(service: cluster, successTerminationBehavior: .ignore)) }
        if let coordinator { services.append(.init(service: coordinator, successTerminationBehavior: .ignore)) }
        // Stopped after the sampler, so the last round is on disk before the senders stop.
        if let remoteWrite { services.append(.init(service: remoteWrite, successTerminationBehavior: .ignore)) }
        services += [
            .init(service: sampler, successTerminationBehavior: .ignore),
            .init(service: planner, successTerminationBehavior: .ignore),
            // The notifier stops after the rule manager, so the last resolutions still go out.
            .init(service: notifier, successTerminationBehavior: .ignore),
            .init(service: ruleManager, successTerminationBehavior: .ignore),
            .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: ReadinessGate(readiness: readiness, delay: configuration.shutdownDelay, logger: logger), successTerminationBehavior: .ignore),
        ]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        logger.info(
            "starting arbiter",
            metadata: [
                "listen": "\(configuration.listen)", "data_dir": "\(configuration.dataDirectory)",
                "config": "\(self.loaded.file ?? "none")", "version": "\(ArbiterVersion.version)",
            ]
        )
        // One round of the gauges as the store holds them, sampled before anything evaluates: the
        // rules' first evaluation then sees the state the daemon stopped in, so the alerts restored
        // from before a restart carry on instead of resolving for want of data and starting over.
        try? await jobGauges.refresh(from: jobStore, workers: jobStore)
        sampler.sample(at: WallClock.nowMilliseconds(), text: sampler.render(), readers: .init(instance: sampler.cluster?.instance))
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch let error as IOError where !listener.isBound {
            throw StartupError("cannot listen on \(configuration.listen): \(String(cString: strerror(error.errnoCode)))")
        } catch where !listener.isBound {
            throw StartupError("cannot listen on \(configuration.listen): \(error)")
        }
        logger.info("arbiter stopped")
    }

    /// The query engine, the notifier and the rule manager with
    /// its rules loaded and alert state restored.
    private func rules(head: Head, steering: SteeringState, leadership: Leadership) throws -> (RuleManager, Notifier, Engine) {
        let configuration = self.loaded.configuration
        var options = Engine.Options()
        options.timeout = configuration.queryTimeout
        options.lookbackDelta = configuration.queryLookbackDelta.wholeMilliseconds
        options.maxSamples = configuration.queryMaxSamples
        let engine = Engine(options: options)
        // Without Alertmanagers alerts are evaluated and listed but not sent.
        let notifier = try Notifier(
            options: .init(alertmanagers: configuration.alertmanagers, queueCapacity: configuration.alertQueueCapacity, timeout: configuration.alertTimeout),
            registry: self.registry, logger: self.logger)
        let base = self.loaded.file.map { ($0 as NSString).deletingLastPathComponent } ?? FileManager.default.currentDirectoryPath
        let manager = RuleManager(
            sources: .init(
                builtin: configuration.rulesBuiltin, patterns: configuration.ruleFiles, baseDirectory: base.isEmpty ? "." : base,
                defaultInterval: configuration.ruleEvaluationInterval.wholeMilliseconds),
            environment: RuleEnvironment(
                engine: engine, storage: head, externalLabels: configuration.externalLabels,
                externalURL: configuration.externalURL ?? "http://\(configuration.listen)"),
            notifier: configuration.alertmanagers.isEmpty ? nil : notifier, resendDelay: configuration.alertResendDelay,
            stateFile: AlertStateFile(path: (configuration.dataDirectory as NSString).appendingPathComponent("alerts-state.json")),
            metrics: try RuleMetrics(registry: self.registry),
            steering: SteeringFeed(state: steering, leadership: leadership, logger: self.logger), leadership: leadership, logger: self.logger)
        do {
            try manager.start()
        } catch {
            throw StartupError("cannot load rule files: \(error.description)")
        }
        return (manager, notifier, engine)
    }

    /// Cluster mode's election on the PostgreSQL store; `nil` for a process alone.
    private func leaderElection(metrics: ClusterMetrics) -> LeaderElection? {
        let configuration = self.loaded.configuration
        guard case .postgres(let conninfo) = configuration.store else { return nil }
        let replicaID = Self.replicaID(configuration)
        return LeaderElection(
            lock: PostgresLeaderLock(configuration: PostgresConfiguration(conninfo), replicaID: replicaID), leadership: .follower(),
            replicaID: replicaID, interval: .seconds(1), metrics: metrics, logger: self.logger)
    }

    /// Cluster mode's presence and fan-out through `cluster.redis`.
    private func clusterCoordinator(
        local: LocalClusterView, coordination: LocalCoordination, leadership: Leadership, metrics: ClusterMetrics
    ) throws -> ClusterCoordinator? {
        guard let url = self.loaded.configuration.clusterRedis else { return nil }
        let configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: url)
        } catch {
            throw StartupError("cluster.redis: \(error)")
        }
        self.logger.info("cluster mode", metadata: ["replica_id": "\(local.replicaID)", "redis": "\(configuration.redacted)"])
        return ClusterCoordinator(
            configuration: configuration, local: local, coordination: coordination, leadership: leadership, metrics: metrics, logger: self.logger)
    }

    /// This replica's name: `cluster.replica_id`, else the host name.
    static func replicaID(_ configuration: ArbiterConfiguration) -> String {
        configuration.clusterReplicaID ?? ProcessInfo.processInfo.hostName
    }

    /// The remote-write endpoints' senders, their disk queues opened (and repaired); `nil` with none.
    private func remoteWrite() throws -> RemoteWriteService? {
        let configuration = self.loaded.configuration
        guard !configuration.remoteWrite.isEmpty else { return nil }
        do {
            let service = try RemoteWriteService(
                endpoints: configuration.remoteWrite, directory: (configuration.dataDirectory as NSString).appendingPathComponent("remote-write"),
                metrics: try RemoteWriteMetrics(registry: self.registry), logger: self.logger)
            for queue in service.queues {
                self.logger.info(
                    "remote write endpoint", metadata: ["remote_name": "\(queue.endpoint.name)", "url": "\(queue.endpoint.url)"])
            }
            return service
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("cannot open the remote write buffer: \(error)")
        }
    }

    private static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// Arbiter could not start; the message names what it could not use and why.
public struct StartupError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
