import ArbiterTesting
import Foundation

/// `--cluster`: what running replicas in cluster mode costs per job. One PostgreSQL cluster with durable
/// settings (as `--store postgres`) for the whole invocation; each run on a fresh database, with its own
/// daemons and (in cluster mode) its own Redis, all stopped and removed afterwards:
/// - a warm-up run of the single daemon, not reported;
/// - the single daemon as shipped, without cluster mode: the reference;
/// - then each count of ``Options/replicas`` in cluster mode.
///
/// Each run drains the same backlog with the same workers (``Options/clusterWorkers`` processes of
/// ``Options/clusterWorkerSlots`` slots), spread evenly over the replicas, and then measures how long a
/// cancel made on the first replica takes to reach a worker on the last.
extension Driver {
    /// How long the CPU is read with nothing to do, before each drain.
    static let idleWindow = Duration.seconds(10)

    /// One run's figures.
    struct ReplicaRun {
        var replicas: Int
        var clustered: Bool
        var drainPerSecond: Double
        var cpu: CPUPerJob
        /// CPU per second (µs/s) with the workers connected and the backlog queued but paused, just before the drain.
        var idle: CPUPerJob
        /// Jobs per group commit of the store during the drain, over every daemon, and operations per commit.
        var jobsPerCommit: Double
        var operationsPerCommit: Double
        /// Cancel request → worker told, in milliseconds, ascending.
        var cancels: [Double]
        /// Cancel request → its answer, in milliseconds, ascending.
        var cancelAnswers: [Double]

        var label: String {
            self.clustered ? "cluster, \(self.replicas) replica\(self.replicas == 1 ? "" : "s")" : "single daemon, no cluster mode"
        }
    }

    func runClusterComparison() async throws {
        _ = try ExternalTool.redisServer.require()
        try await DurablePostgresCluster.with { cluster in
            try await self.runClusterComparison(on: cluster)
        }
    }

    private func runClusterComparison(on cluster: DurablePostgresCluster) async throws {
        print("postgres: one cluster for every run, a fresh database each; " + (try await Self.durableSettings(of: cluster)))
        print(
            "drain: \(self.options.clusterJobs) no-op jobs, \(self.options.clusterWorkers) workers of \(self.options.clusterWorkerSlots) slots "
                + "spread over the replicas; cancels: \(self.options.cancelSamples), requested on r1, "
                + "the job on a worker connected to the last replica")
        // The first drain on a new cluster also pays for creating its write-ahead log segments (later
        // ones recycle them) and for warming its caches: a run that is not reported pays for it.
        log("warm-up: a single daemon's drain, not reported")
        _ = try await self.measureReplicas(1, clustered: false, on: cluster)
        var runs: [ReplicaRun] = []
        for (count, clustered) in [(1, false)] + self.options.replicas.map({ ($0, true) }) {
            let run = try await self.measureReplicas(count, clustered: clustered, on: cluster)
            print(String(
                format: "%@: idle, per second: %@; drain: %.1f jobs per commit (%.1f operations per commit)", run.label,
                run.idle.summary(workersName: "workers"), run.jobsPerCommit, run.operationsPerCommit))
            print(String(
                format: "%@: drain %.0f jobs/s; CPU per job: %@; cancel → worker told p50 %.2f ms, p99 %.2f ms "
                    + "(request answered p50 %.2f ms, p99 %.2f ms)",
                run.label, run.drainPerSecond, run.cpu.summary(workersName: "workers"), Self.percentile(run.cancels, 50),
                Self.percentile(run.cancels, 99), Self.percentile(run.cancelAnswers, 50), Self.percentile(run.cancelAnswers, 99)))
            runs.append(run)
        }
        print("")
        print(Self.clusterTable(runs))
    }

    /// The results as a Markdown table. "Daemons vs single" is the daemons' CPU per job over the single
    /// daemon's without cluster mode (the first run); "idle" is CPU per second before the drain.
    static func clusterTable(_ runs: [ReplicaRun]) -> String {
        let reference = runs.first?.cpu.daemon ?? .nan
        var lines = [
            "| run | drain | daemons | workers | PostgreSQL | Redis | total | daemons vs single | jobs per commit "
                + "| idle: daemons, PostgreSQL | cancel → worker p50 / p99 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for run in runs {
            let cpu = run.cpu
            let redis = cpu.redis.map { String(format: "%.1f µs", $0) } ?? "–"
            let path = run.replicas > 1 ? "r1 → r\(run.replicas)" : "local"
            lines.append(String(
                format: "| %@ | %.0f jobs/s | %.1f µs | %.1f µs | %.1f µs | %@ | %.1f µs | %.2f× | %.1f | %.1f, %.1f ms/s | %.2f / %.2f ms (%@) |",
                run.label, run.drainPerSecond, cpu.daemon ?? .nan, cpu.workers, cpu.postgres, redis, cpu.total, (cpu.daemon ?? .nan) / reference,
                run.jobsPerCommit, (run.idle.daemon ?? .nan) / 1000, run.idle.postgres / 1000, Self.percentile(run.cancels, 50),
                Self.percentile(run.cancels, 99), path))
        }
        return lines.joined(separator: "\n")
    }

    /// One run on a fresh database `arbiter`, dropped afterwards with everything the run started.
    func measureReplicas(_ count: Int, clustered: Bool, on cluster: DurablePostgresCluster) async throws -> ReplicaRun {
        let database = Self.arbiterDatabase
        try await cluster.psql("CREATE DATABASE \(database)")
        let directory = try TemporaryDirectory(prefix: "jobs-cluster")
        var redis: LoopbackRedis?
        var replicas: ReplicaSet?
        let outcome: Result<ReplicaRun, any Error>
        do {
            if clustered { redis = try await LoopbackRedis.start() }
            let started = try await ReplicaSet.start(count: count, store: cluster.url(database: database), redis: redis, directory: directory)
            replicas = started
            log("\(clustered ? "cluster" : "single"): \(count) replica(s) ready")
            let drained = try await self.drain(on: started, redis: redis, cluster: cluster, directory: directory)
            try await cluster.settle(database: database)
            let cancels = try await self.measureCancels(started, directory: directory)
            outcome = .success(ReplicaRun(
                replicas: count, clustered: clustered, drainPerSecond: drained.perSecond, cpu: drained.cpu, idle: drained.idle,
                jobsPerCommit: Double(self.options.clusterJobs) / drained.commits, operationsPerCommit: drained.operations / drained.commits,
                cancels: cancels.told, cancelAnswers: cancels.answered))
        } catch {
            outcome = .failure(error)
        }
        await replicas?.stop()
        await redis?.stop()
        // Left in place, its tables would be vacuumed during the next run.
        _ = try? await cluster.psql("DROP DATABASE \(database) WITH (FORCE)")
        directory.remove()
        return try outcome.get()
    }

    /// The drain, as in ``measureArbiter(on:)``: the backlog submitted on the first replica while the
    /// type is paused, the workers connected, then the type resumed.
    /// - Returns: Jobs per second (release to the last `finished_at` in the store); the CPU per job from
    ///   the release until the driver sees every job succeeded; the CPU per second over ``idleWindow``
    ///   just before the release; and the store's commits and operations during the drain.
    func drain(on replicas: ReplicaSet, redis: LoopbackRedis?, cluster: DurablePostgresCluster, directory: TemporaryDirectory) async throws -> (
        perSecond: Double, cpu: CPUPerJob, idle: CPUPerJob, commits: Double, operations: Double
    ) {
        let database = Self.arbiterDatabase
        let jobs = self.options.clusterJobs
        let session = replicas.sessions[0]
        let postmaster = try cluster.postmasterPID()
        try await cluster.settle(database: database)
        _ = try await session.post("/api/v1/job-types/noop/pause", "")
        let submitStarted = ContinuousClock.now
        for start in stride(from: 0, to: jobs, by: 1000) {
            try await session.submit(count: min(1000, jobs - start), stamped: false)
        }
        log("\(jobs) jobs submitted through the batch endpoint in \(ContinuousClock.now - submitStarted)")
        try await cluster.psql("ANALYZE", database: database)

        let workers = try self.startSpreadWorkers(over: replicas, directory: directory)
        do {
            try await self.waitUntil("every worker is connected") { try await session.connectedWorkers() == workers.count }
            if replicas.clustered {
                // Each on the replica it was sent to: the announcements (every 2 s) say so.
                let spread = Dictionary(grouping: workers.indices, by: { "r\($0 % replicas.sessions.count + 1)" }).mapValues(\.count)
                try await self.waitUntil("the cluster view shows the workers spread", timeout: .seconds(30), interval: .milliseconds(100)) {
                    let view = try await replicas.clusterView()
                    return view.coordination == "ok" && view.workers.count == replicas.sessions.count && view.workers.mapValues(\.count) == spread
                }
            }
            let pids = workers.map(\.process.pid)
            // What the replicas cost with nothing to do: sampling, presence, the leader's upkeep.
            let idleStart = CPUPerJob.Reading.now(daemons: replicas.pids, workers: pids, postmaster: postmaster, redis: redis?.pid)
            let idleStarted = ContinuousClock.now
            try await Task.sleep(for: Self.idleWindow)
            let idleSeconds = (ContinuousClock.now - idleStarted) / .seconds(1)
            let idleEnd = CPUPerJob.Reading.now(daemons: replicas.pids, workers: pids, postmaster: postmaster, redis: redis?.pid)
            let idle = CPUPerJob(from: idleStart, to: idleEnd, jobs: 1).divided(by: idleSeconds)
            let countersBefore = try await replicas.storeCounters()
            let start = CPUPerJob.Reading.now(daemons: replicas.pids, workers: pids, postmaster: postmaster, redis: redis?.pid)
            let released = WallNanoseconds.now() / 1_000_000
            _ = try await session.post("/api/v1/job-types/noop/resume", "")
            // As with `--store postgres`: the end is read from the table, so a slow poll leaves the rate as it is.
            try await self.waitUntil("the backlog is drained", timeout: .seconds(900), interval: .milliseconds(500)) {
                try await session.succeeded() >= jobs
            }
            let end = CPUPerJob.Reading.now(daemons: replicas.pids, workers: pids, postmaster: postmaster, redis: redis?.pid)
            let countersAfter = try await replicas.storeCounters()
            for worker in workers { await worker.process.stop() }
            let lastFinished = Int64(try await cluster.psql("SELECT MAX(finished_at) FROM jobs", database: database)) ?? released
            let seconds = Double(lastFinished - released) / 1000
            log(String(format: "drained %d jobs in %.3f s", jobs, seconds))
            return (
                Double(jobs) / seconds, CPUPerJob(from: start, to: end, jobs: jobs), idle, countersAfter.commits - countersBefore.commits,
                countersAfter.operations - countersBefore.operations
            )
        } catch {
            for worker in workers { await worker.process.stop() }
            throw error
        }
    }

    /// ``Options/clusterWorkers`` no-op workers, the `i`-th connected to replica `i` modulo their count,
    /// and given the others after it, as a worker in a cluster is (`--server URL1,URL2,…`).
    func startSpreadWorkers(over replicas: ReplicaSet, directory: TemporaryDirectory) throws -> [Worker] {
        let urls = replicas.sessions.map(\.base)
        return try (0..<self.options.clusterWorkers).map { index in
            let home = index % urls.count
            let servers = (urls[home...] + urls[..<home]).joined(separator: ",")
            let output = directory.file("drain-\(index).latencies")
            let process = try ChildProcess(
                executable: CommandLine.arguments[0],
                arguments: ["worker", servers, "bench-drain-\(index)", String(self.options.clusterWorkerSlots), output],
                environment: ["ARBITER_TOKEN": replicas.sessions[0].token], directory: directory.path, name: "worker-drain-\(index)")
            return Worker(process: process, output: output)
        }
    }
}
