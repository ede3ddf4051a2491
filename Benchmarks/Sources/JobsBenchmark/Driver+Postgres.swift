import ArbiterTesting
import Foundation

/// `--store postgres`: Arbiter and pgqueuer on one PostgreSQL cluster with durable settings, each in a
/// database of its own, measured one after the other in the same run, with the CPU time per job of the
/// daemon, the workers and the server.
extension Driver {
    /// Arbiter's database on the shared cluster; pgqueuer works in `postgres`.
    static let arbiterDatabase = "arbiter"

    /// The server's version and the settings that decide what a commit costs, printed with the results.
    static let postgresSettings = ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers"]

    func runPostgresComparison() async throws {
        try await DurablePostgresCluster.with { cluster in
            try await self.runPostgresComparison(on: cluster)
        }
    }

    private func runPostgresComparison(on cluster: DurablePostgresCluster) async throws {
        print(
            "postgres: one cluster for both (arbiter: database \(Self.arbiterDatabase), pgqueuer: database postgres), "
                + (try await Self.durableSettings(of: cluster)))

        try await cluster.psql("CREATE DATABASE \(Self.arbiterDatabase)")
        let arbiter = try await self.measureArbiter(on: cluster)
        print(arbiter.line("arbiter:  "))
        Self.printCPU(arbiter, label: "arbiter:  ", workersName: "workers")
        // Left in place, Arbiter's tables would be vacuumed while pgqueuer is measured.
        try await cluster.psql("DROP DATABASE \(Self.arbiterDatabase) WITH (FORCE)")

        guard let python = self.options.python else {
            print("pgqueuer: skipped (no --python)")
            return
        }
        let pgqueuer = try self.measurePgqueuer(python: python, on: cluster)
        print(pgqueuer.line("pgqueuer: "))
        Self.printCPU(pgqueuer, label: "pgqueuer: ", workersName: "consumers")
        print(Self.ratioLine(arbiter, pgqueuer))
        if let arbiterDrain = arbiter.drainCPU, let arbiterLatency = arbiter.latencyCPU, let pgqueuerDrain = pgqueuer.drainCPU,
            let pgqueuerLatency = pgqueuer.latencyCPU
        {
            print(String(
                format: "ratio (arbiter / pgqueuer): CPU per job, drain %.2f×; latency %.2f× (lower is better)", arbiterDrain.total / pgqueuerDrain.total,
                arbiterLatency.total / pgqueuerLatency.total))
        }
    }

    /// `PostgreSQL 15.x, data on ext2/ext3; fsync on, …`: the server's version and ``postgresSettings``.
    /// - Throws: ``TestingError`` unless `fsync`, `synchronous_commit` and `full_page_writes` are on.
    static func durableSettings(of cluster: DurablePostgresCluster) async throws -> String {
        let settings = try await cluster.settings(Self.postgresSettings)
        for name in ["fsync", "synchronous_commit", "full_page_writes"] where settings[name] != "on" {
            throw TestingError("PostgreSQL runs with \(name) = \(settings[name] ?? "unknown"); this comparison needs it on")
        }
        let version = settings["server_version"] ?? "unknown"
        let values = Self.postgresSettings.dropFirst().map { name in "\(name) \(settings[name] ?? "unknown")" }.joined(separator: ", ")
        return "PostgreSQL \(version), data on \(await cluster.fileSystem); \(values)"
    }

    static func printCPU(_ figures: Figures, label: String, workersName: String) {
        if let cpu = figures.drainCPU { print(label + "CPU per job, drain: " + cpu.summary(workersName: workersName)) }
        if let cpu = figures.latencyCPU { print(label + "CPU per job, latency: " + cpu.summary(workersName: workersName)) }
    }

    // MARK: Arbiter

    /// The audited daemon on `cluster`, through the same two phases as ``measureArbiter(_:)``. The
    /// tables are prepared as the pgqueuer script prepares its own: vacuumed, analysed and checkpointed
    /// before each phase, analysed again once the backlog is in.
    func measureArbiter(on cluster: DurablePostgresCluster) async throws -> Figures {
        let directory = try TemporaryDirectory(prefix: "jobs-bench")
        defer { directory.remove() }
        let database = Self.arbiterDatabase
        let config = try directory.write(
            "arbiter.yaml", "store: \"\(cluster.url(database: database))\"\nlog:\n  level: warning\njob_types:\n  noop:\n    max_attempts: 3\n")
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let data = directory.file("data")
        let daemon = try ChildProcess(
            executable: CommandLine.arguments[0], arguments: ["serve", config, "127.0.0.1:\(port)", data], directory: directory.path, name: "daemon")
        defer { daemon.signal(SIGTERM) }
        // The daemon migrates the empty database before it answers ready.
        try await self.waitUntil("the daemon is ready") {
            guard daemon.isRunning else { throw TestingError("the daemon exited: \(daemon.stderr)") }
            return (try? await HTTPProbe.get(base + "/readyz").status) == 200
        }
        let token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let session = Session(base: base, token: token, gated: false)
        let postmaster = try cluster.postmasterPID()

        // Drain: the backlog is submitted while the type is paused, then released at once.
        try await cluster.settle(database: database)
        _ = try await session.post("/api/v1/job-types/noop/pause", "")
        let submitStarted = ContinuousClock.now
        for start in stride(from: 0, to: self.options.jobs, by: 1000) {
            try await session.submit(count: min(1000, self.options.jobs - start), stamped: false)
        }
        log("arbiter (postgres): \(self.options.jobs) jobs submitted through the batch endpoint in \(ContinuousClock.now - submitStarted)")
        try await cluster.psql("ANALYZE", database: database)
        var workers = try self.startWorkers(session, directory: directory, tag: "drain")
        try await self.waitUntil("both workers are connected") { try await session.connectedWorkers() == 2 }
        let drainStart = CPUPerJob.Reading.now(daemon: daemon.pid, workers: workers.map(\.process.pid), postmaster: postmaster)
        let released = WallNanoseconds.now() / 1_000_000
        _ = try await session.post("/api/v1/job-types/noop/resume", "")
        // Every poll makes the server count the jobs table, work it would not do otherwise; the drain's
        // end is read from the table afterwards, so a slower poll leaves the figure as it is.
        try await self.waitUntil("the backlog is drained", timeout: .seconds(600), interval: .milliseconds(500)) {
            try await session.succeeded() >= self.options.jobs
        }
        let drainEnd = CPUPerJob.Reading.now(daemon: daemon.pid, workers: workers.map(\.process.pid), postmaster: postmaster)
        for worker in workers { await worker.process.stop() }
        let lastFinishedText = try await cluster.psql("SELECT MAX(finished_at) FROM jobs", database: database)
        let lastFinished = Int64(lastFinishedText) ?? released
        let drainSeconds = Double(lastFinished - released) / 1000
        log(String(format: "arbiter (postgres): drained %d jobs in %.3f s", self.options.jobs, drainSeconds))

        // Latency: a steady offered load, 10 jobs per batch request every 10 ms, each stamped with its
        // submit time. The warm-up is done before the measured window opens.
        try await cluster.settle(database: database)
        workers = try self.startWorkers(session, directory: directory, tag: "latency")
        try await self.waitUntil("both workers are connected again") { try await session.connectedWorkers() == 2 }
        let beforeWarmUp = try await session.succeeded()
        try await session.submit(count: 100, stamped: false)
        try await self.waitUntil("the warm-up jobs are done") { try await session.succeeded() >= beforeWarmUp + 100 }
        let before = try await session.succeeded()
        let latencyStart = CPUPerJob.Reading.now(daemon: daemon.pid, workers: workers.map(\.process.pid), postmaster: postmaster)
        let submitted = try await self.offerLoad(session)
        try await self.waitUntil("the offered jobs are done", timeout: .seconds(120)) { try await session.succeeded() >= before + submitted }
        let latencyEnd = CPUPerJob.Reading.now(daemon: daemon.pid, workers: workers.map(\.process.pid), postmaster: postmaster)
        let latencies = await self.stopReadingLatencies(workers)
        log("arbiter (postgres): \(latencies.count) latency samples")
        // Gone before its database is dropped and pgqueuer starts.
        await daemon.stop()
        return Figures(
            drainPerSecond: Double(self.options.jobs) / drainSeconds, p50: Self.percentile(latencies, 50), p99: Self.percentile(latencies, 99),
            drainCPU: CPUPerJob(from: drainStart, to: drainEnd, jobs: self.options.jobs),
            latencyCPU: CPUPerJob(from: latencyStart, to: latencyEnd, jobs: submitted))
    }

    // MARK: pgqueuer

    /// The pgqueuer script on `cluster`'s `postgres` database, told the postmaster's pid so that it
    /// reports the server's CPU time as well as its consumers'.
    func measurePgqueuer(python: String, on cluster: DurablePostgresCluster) throws -> Figures {
        log("pgqueuer: running \(self.options.pgqueuerScript) against the shared PostgreSQL on port \(cluster.port)")
        let postmaster = try cluster.postmasterPID()
        let report = try self.runPgqueuerScript(
            python: python, dsn: cluster.url(database: "postgres"), extraArguments: ["--postgres-pid", String(postmaster)])
        var figures = Self.figures(pgqueuer: report)
        figures.drainCPU = Self.pgqueuerCPU(report.drain)
        figures.latencyCPU = Self.pgqueuerCPU(report.latency)
        return figures
    }

    /// A phase's `cpu` section of the pgqueuer report; a figure it lacks reads NaN.
    static func pgqueuerCPU(_ phase: [String: Any]) -> CPUPerJob? {
        guard let cpu = phase["cpu"] as? [String: Any] else { return nil }
        func perJob(_ key: String) -> Double { (cpu[key] as? NSNumber)?.doubleValue ?? .nan }
        return CPUPerJob(daemon: nil, workers: perJob("consumers_us_per_job"), postgres: perJob("postgres_us_per_job"))
    }
}
