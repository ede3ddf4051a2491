import ArbiterJobs
import ArbiterRemoteWrite
import Logging

/// Everything `arbiter serve` can be told, with defaults that work on one machine.
///
/// Built from the YAML file, then `ARBITER_*` environment variables, then flags, each overriding the
/// one before (see ``ConfigurationLoader``). Every key is listed in ``ConfigurationSchema``.
public struct ArbiterConfiguration: Sendable, Equatable {
    /// Address and port the HTTP server listens on (API, `/metrics`, health).
    public var listen = ListenAddress(host: "127.0.0.1", port: 3000)
    /// Directory for Arbiter's files; created if missing.
    public var dataDirectory = "./data"
    /// Where jobs are kept: SQLite in the data directory unless a PostgreSQL database is named.
    public var store: StoreLocation = .sqlite
    /// Connections the PostgreSQL store opens at most (reads and group commits share them).
    public var storePoolSize = 4
    /// Cluster mode: the Redis replicas coordinate through (`nil`: one process, alone).
    public var clusterRedis: String?
    /// This replica's name in the cluster (`nil`: the host name).
    public var clusterReplicaID: String?
    /// Whether several replicas share the store, one of them leading.
    public var clustered: Bool { self.clusterRedis != nil }
    /// Minimum level of log events written.
    public var logLevel: Logger.Level = .info
    /// How log events are written on stderr.
    public var logFormat: LogFormat = .logfmt
    /// How long a graceful shutdown may take before in-flight work is cancelled.
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// How long `/readyz` answers 503 before the server stops accepting connections, so load
    /// balancers stop sending traffic first.
    public var shutdownDelay: Duration = .zero
    /// How long a new connection may take to send its first request's head (request line and
    /// headers) before it is closed.
    public var httpHeaderTimeout: Duration = .seconds(30)
    /// How long a connection may sit with no request being answered and nothing of a request
    /// arriving before it is closed: an idle keep-alive connection, or one stalled in the middle of a
    /// request's head or body.
    public var httpIdleTimeout: Duration = .seconds(60)
    /// Series one metric family may hold before new label values are dropped.
    public var metricsSeriesLimit = 10_000
    /// Bucket bounds for histograms that do not set their own.
    public var metricsHistogramBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// How long a worker may go without a heartbeat before it is offline and its leases expire.
    public var workerTimeout: Duration = .seconds(15)
    /// How long a lease lasts without a progress report; then the job is requeued.
    public var leaseTimeout: Duration = .seconds(30)
    /// Largest job payload accepted, in bytes of compact JSON.
    public var maxPayloadBytes = 1 << 20
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 8 << 20
    /// Most jobs in one batch submission.
    public var maxBatchJobs = 1000
    /// Per-job-type policies (`job_types.<name>`); types not listed get ``JobTypePolicy``'s defaults.
    public var jobTypes: [String: JobTypePolicy] = [:]
    /// How long finished jobs are kept (`retention.<state>`); per type in ``JobTypePolicy/retention``.
    public var retention = RetentionPolicy.default
    /// How large job artifacts may be (`artifacts.max_file_bytes`, `artifacts.max_job_bytes`).
    public var artifactLimits = ArtifactLimits.default
    /// How often the leader removes finished jobs past their retention.
    public var retentionInterval: Duration = .seconds(60)

    /// Whether `/metrics` is served without a token (by default it needs a `viewer` token).
    public var metricsPublic = false
    /// Failed authentications from one address within ``lockoutWindow`` before it is locked out.
    public var lockoutFailures = 10
    public var lockoutWindow: Duration = .seconds(60)
    /// How long a locked-out address gets 429.
    public var lockoutDuration: Duration = .seconds(300)

    /// The credential vault's key, base64 (better from `ARBITER_VAULT_KEY` than the file).
    public var vaultKey: String?
    /// A file holding the vault's key, base64 (`openssl rand -base64 32`).
    public var vaultKeyFile: String?
    /// Files of earlier keys that still open credentials they sealed (for rotation).
    public var vaultPreviousKeyFiles: [String] = []

    /// The first admin token, read from this file on first start instead of generated into
    /// `<data_dir>/admin.token` (a secret mounted by an orchestrator).
    public var adminTokenFile: String?

    /// JWT bearer tokens: an HS256 secret (better from `ARBITER_AUTH_JWT_HS256_SECRET`) or its file.
    public var jwtHS256Secret: String?
    public var jwtHS256SecretFile: String?
    /// PEM files of ES256 (EC P-256) or RS256 (RSA) public keys.
    public var jwtPublicKeyFiles: [String] = []
    /// When set, a JWT's `iss` must equal it.
    public var jwtIssuer: String?
    /// When set, a JWT's `aud` must include it.
    public var jwtAudience: String?
    /// The claim that names the caller's role.
    public var jwtRoleClaim = "role"
    /// Serve HTTPS with this certificate chain and key (PEM); both or neither.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?

    /// Whether JWTs are accepted at all.
    public var jwtEnabled: Bool { self.jwtHS256Secret != nil || self.jwtHS256SecretFile != nil || !self.jwtPublicKeyFiles.isEmpty }

    /// How often the metrics registry is sampled into the time-series store (one timestamp a round).
    public var tsdbSampleInterval: Duration = .seconds(5)
    /// How long samples are kept in memory.
    public var tsdbRetention: Duration = .seconds(7200)
    /// Series the store holds at most; new series beyond it are dropped and counted.
    public var tsdbMaxSeries = 1_000_000

    /// Rule files (paths or globs, relative to the configuration file) evaluated besides the shipped ones.
    public var ruleFiles: [String] = []
    /// Whether Arbiter's own rules (`alerts/*.yml`, compiled in) are evaluated.
    public var rulesBuiltin = true
    /// The interval of rule groups that do not set their own (and of capacity estimates).
    public var ruleEvaluationInterval: Duration = .seconds(15)
    /// Remote-write endpoints (`remote_write:`), each with its own disk queue.
    public var remoteWrite: [RemoteWriteEndpoint] = []
    /// How much of its own recent data capacity planning reads.
    public var capacityWindow: Duration = .seconds(900)
    /// The mean queue wait capacity planning sizes each job type for.
    public var capacityTargetWait: Duration = .seconds(1)
    /// The URL alerts link back to.
    public var externalURL: String?
    /// Labels templates see as `$externalLabels`, added to alerts sent to Alertmanager.
    public var externalLabels: [String: String] = [:]
    /// Alertmanager base URLs; none means alerts are evaluated but not sent.
    public var alertmanagers: [String] = []
    /// How long before a firing alert is sent again.
    public var alertResendDelay: Duration = .seconds(60)
    public var alertTimeout: Duration = .seconds(10)
    public var alertQueueCapacity = 10_000
    public var queryTimeout: Duration = .seconds(120)
    public var queryLookbackDelta: Duration = .seconds(300)
    public var queryMaxSamples = 50_000_000

    /// The built-in defaults.
    public init() {}
}

/// Log line formats.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=… level=info msg="…" key=value`
    case logfmt
    /// One JSON object per line.
    case json
}

/// A `host:port` to listen on; port 0 asks the kernel for a free one.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`.
    /// - Parameter text: The address.
    /// - Returns: `nil` when it is not `host:port` with a port from 0 to 65535.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}
