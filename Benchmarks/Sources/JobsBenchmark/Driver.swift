import ArbiterStorage
import ArbiterTesting
import Foundation

/// Runs Arbiter (daemon + 2 worker processes over WebSocket, SQLite, durable commits) and pgqueuer
/// (2 consumer processes, PostgreSQL 15 with fsync and synchronous_commit on) through the same two
/// measurements in one run, and prints both with their ratio. With `--store postgres` Arbiter keeps its
/// jobs on the PostgreSQL cluster pgqueuer runs on, with durable settings, and the CPU time per job of
/// each part is printed too (``Driver/runPostgresComparison()``). With `--consent` it instead runs Arbiter
/// three ways in one run — bare (no audit log, no consent), as shipped (audit log), and gated (audit
/// log and a consent-gated job type whose every job carries a user's credential) — and prints the
/// overhead of each over the bare run. With `--cluster` it measures replicas in cluster mode on one
/// PostgreSQL database against a single daemon (``Driver/runClusterComparison()``).
struct Driver {
    /// How the daemon under test is set up.
    enum Mode: String {
        /// No audit log (a switch only the benchmark reaches) and no consent.
        case bare
        /// As shipped: every transition audited.
        case audited
        /// Audited, and the job type requires consent; 100 users with consent and a stored credential.
        case gated
    }

    /// Where Arbiter keeps its jobs in the comparison with pgqueuer.
    enum Store: String {
        /// The embedded SQLite file in the daemon's data directory.
        case sqlite
        /// A database of its own on the PostgreSQL cluster pgqueuer runs on.
        case postgres
    }

    struct Options {
        var jobs = 50_000
        var rate = 1000
        var seconds = 10
        var workerConcurrency = 256
        var python: String?
        var pgqueuerScript = "Benchmarks/pgqueuer/pgq_bench.py"
        var consent = false
        var modes: [Mode] = [.bare, .audited, .gated]
        /// `nil` when `--store` named neither store.
        var store: Store? = .sqlite
        /// `--cluster`: replicas in cluster mode against a single daemon, on PostgreSQL.
        var cluster = false
        /// The replica counts `--cluster` runs in cluster mode, after the single daemon without it.
        var replicas = [1, 2, 3]
        /// Cancels timed per run of `--cluster`.
        var cancelSamples = 100
        /// The workers of `--cluster`, the same in every run: 6 spread evenly over 1, 2 or 3 replicas.
        var clusterWorkers = 6
        var clusterWorkerSlots = 64
        /// `--soak`: a long steady run with a short retention (``Driver/runSoak()``).
        var soak = false
        var soakMinutes = 30
        var soakRetention = "2m"
        /// Finished jobs past their retention put in the store before the soak starts: the first
        /// retention pass removes them while the load runs.
        var pruneBacklog = 200_000
        /// `--rate` as given; the soak offers 300 jobs/s without it.
        var givenRate: Int?
        /// `--jobs` as given; `--cluster` drains 10,000 without it (four drains on PostgreSQL).
        private var givenJobs: Int?
        var clusterJobs: Int { self.givenJobs ?? 10_000 }

        init(arguments: [String]) {
            var iterator = arguments.makeIterator()
            while let argument = iterator.next() {
                switch argument {
                case "--jobs":
                    self.givenJobs = Int(iterator.next() ?? "")
                    self.jobs = self.givenJobs ?? self.jobs
                case "--rate":
                    self.rate = Int(iterator.next() ?? "") ?? self.rate
                    self.givenRate = self.rate
                case "--seconds": self.seconds = Int(iterator.next() ?? "") ?? self.seconds
                case "--worker-concurrency": self.workerConcurrency = Int(iterator.next() ?? "") ?? self.workerConcurrency
                case "--python": self.python = iterator.next()
                case "--pgqueuer-script": self.pgqueuerScript = iterator.next() ?? self.pgqueuerScript
                case "--consent": self.consent = true
                case "--modes": self.modes = (iterator.next() ?? "").split(separator: ",").compactMap { Mode(rawValue: String($0)) }
                case "--store": self.store = Store(rawValue: iterator.next() ?? "")
                case "--cluster": self.cluster = true
                case "--replicas": self.replicas = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
                case "--cancel-samples": self.cancelSamples = Int(iterator.next() ?? "") ?? self.cancelSamples
                case "--cluster-workers": self.clusterWorkers = Int(iterator.next() ?? "") ?? self.clusterWorkers
                case "--cluster-worker-slots": self.clusterWorkerSlots = Int(iterator.next() ?? "") ?? self.clusterWorkerSlots
                case "--soak": self.soak = true
                case "--minutes": self.soakMinutes = Int(iterator.next() ?? "") ?? self.soakMinutes
                case "--retention": self.soakRetention = iterator.next() ?? self.soakRetention
                case "--prune-backlog": self.pruneBacklog = Int(iterator.next() ?? "") ?? self.pruneBacklog
                default: break
                }
            }
        }
    }

    struct Figures {
        var drainPerSecond: Double
        var p50: Double
        var p99: Double
        /// Measured with `--store postgres` only.
        var drainCPU: CPUPerJob? = nil
        var latencyCPU: CPUPerJob? = nil

        /// The result line, after a label padded to line up (`"arbiter:  "`, `"pgqueuer: "`).
        func line(_ label: String) -> String {
            label + String(format: "drain %.0f jobs/s, submit→start p50 %.2f ms, p99 %.2f ms", self.drainPerSecond, self.p50, self.p99)
        }
    }

    let options: Options

    func run() async throws {
        guard let store = self.options.store else { throw TestingError("--store expects sqlite or postgres") }
        if self.options.soak {
            try await self.runSoak()
            return
        }
        if self.options.cluster {
            guard !self.options.consent else { throw TestingError("--cluster and --consent are separate benchmarks: give one of them") }
            try await self.runClusterComparison()
            return
        }
        if self.options.consent {
            guard store == .sqlite else { throw TestingError("--consent compares Arbiter on SQLite only; leave out --store postgres") }
            try await self.runConsentComparison()
            return
        }
        if store == .postgres {
            try await self.runPostgresComparison()
            return
        }
        let arbiter = try await self.measureArbiter(.audited)
        print(arbiter.line("arbiter:  "))
        Self.printCPU(arbiter, label: "arbiter:  ", workersName: "workers")
        guard let python = self.options.python else {
            print("pgqueuer: skipped (no --python)")
            return
        }
        let pgqueuer = try await self.measurePgqueuer(python: python)
        print(pgqueuer.line("pgqueuer: "))
        Self.printCPU(pgqueuer, label: "pgqueuer: ", workersName: "consumers")
        print(Self.ratioLine(arbiter, pgqueuer))
        if let arbiterDrain = arbiter.drainCPU, let pgqueuerDrain = pgqueuer.drainCPU {
            print(String(format: "ratio (arbiter / pgqueuer): CPU per job, drain %.2f× (lower is better)", arbiterDrain.total / pgqueuerDrain.total))
        }
    }

    static func ratioLine(_ arbiter: Figures, _ pgqueuer: Figures) -> String {
        String(
            format: "ratio (arbiter / pgqueuer): drain %.2f×; p99 latency %.2f× (lower is better)", arbiter.drainPerSecond / pgqueuer.drainPerSecond,
            arbiter.p99 / pgqueuer.p99)
    }

    func runConsentComparison() async throws {
        var figures: [(Mode, Figures)] = []
        for mode in self.options.modes {
            let measured = try await self.measureArbiter(mode)
            figures.append((mode, measured))
            print(String(format: "arbiter %-8@ drain %.0f jobs/s, submit→start p50 %.2f ms, p99 %.2f ms", mode.rawValue + ":", measured.drainPerSecond,
                         measured.p50, measured.p99))
        }
        guard let bare = figures.first(where: { $0.0 == .bare })?.1 else { return }
        for (mode, measured) in figures where mode != .bare {
            print(String(
                format: "overhead of %@ over bare: drain %+.1f%% (throughput %.2f×), p99 latency %.2f×", mode.rawValue,
                (bare.drainPerSecond / measured.drainPerSecond - 1) * 100, measured.drainPerSecond / bare.drainPerSecond, measured.p99 / bare.p99))
        }
    }

    // MARK: Arbiter

    /// The users of the gated mode's jobs, each with consent and a stored credential.
    static let users = (0..<100).map { "user-\($0)" }

    func measureArbiter(_ mode: Mode) async throws -> Figures {
        let directory = try TemporaryDirectory(prefix: "jobs-bench")
        defer { directory.remove() }
        let consent = mode == .gated ? "\n    requires_consent: bench.read" : ""
        let config = try directory.write("arbiter.yaml", "log:\n  level: warning\njob_types:\n  noop:\n    max_attempts: 3\(consent)\n")
        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let data = directory.file("data")
        let daemon = try ChildProcess(
            executable: CommandLine.arguments[0], arguments: ["serve", config, "127.0.0.1:\(port)", data] + (mode == .bare ? ["no-audit"] : []),
            directory: directory.path, name: "daemon")
        defer { daemon.signal(SIGTERM) }
        try await self.waitUntil("the daemon is ready") { (try? await HTTPProbe.get(base + "/readyz").status) == 200 }
        let token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let session = Session(base: base, token: token, gated: mode == .gated)
        if mode == .gated {
            for user in Self.users {
                _ = try await session.post(
                    "/api/v1/consents", #"{"user_id":"\#(user)","scope":"bench.read","evidence":{"recorded_by":"bench","policy_version":"1","source":"bench"}}"#)
                _ = try await session.send("/api/v1/users/\(user)/credentials/bench.read", method: .PUT, #"{"secret":"token-of-\#(user)"}"#)
            }
        }

        // Drain: the backlog is submitted while the type is paused, then released at once.
        _ = try await session.post("/api/v1/job-types/noop/pause", "")
        let submitStarted = ContinuousClock.now
        for start in stride(from: 0, to: self.options.jobs, by: 1000) {
            let count = min(1000, self.options.jobs - start)
            try await session.submit(count: count, stamped: false)
        }
        log("arbiter: \(self.options.jobs) jobs submitted through the batch endpoint in \(ContinuousClock.now - submitStarted)")
        var workers = try self.startWorkers(session, directory: directory, tag: "drain")
        try await self.waitUntil("both workers are connected") { try await session.connectedWorkers() == 2 }
        let drainStart = Self.cpu(daemon: daemon.pid, workers: workers)
        let released = WallNanoseconds.now() / 1_000_000
        _ = try await session.post("/api/v1/job-types/noop/resume", "")
        // Every poll makes the daemon count the jobs table (4 ms at 60,000 jobs), work it would not do
        // otherwise; the drain's end is read from the table afterwards, so a slower poll leaves it as it is.
        try await self.waitUntil("the backlog is drained", timeout: .seconds(600), interval: .milliseconds(500)) {
            try await session.succeeded() >= self.options.jobs
        }
        let drainEnd = Self.cpu(daemon: daemon.pid, workers: workers)
        for worker in workers { await worker.process.stop() }
        let store = try SQLiteConnection(path: "\(data)/arbiter.db")
        let lastFinished = try store.query("SELECT MAX(finished_at) FROM jobs").first?[0].integer ?? released
        let drainSeconds = Double(lastFinished - released) / 1000
        log(String(format: "arbiter (%@): drained %d jobs in %.3f s", mode.rawValue, self.options.jobs, drainSeconds))

        // Between the phases, let the write-ahead log of the drain be checkpointed (the daemon does that
        // every 200 ms on its own connection), as the pgqueuer script runs CHECKPOINT between its phases.
        try await Task.sleep(for: .seconds(3))

        // Latency: a steady offered load, 10 jobs per batch request every 10 ms, each stamped with its submit time.
        workers = try self.startWorkers(session, directory: directory, tag: "latency")
        try await self.waitUntil("both workers are connected again") { try await session.connectedWorkers() == 2 }
        try await session.submit(count: 100, stamped: false)  // warm-up
        let before = try await session.succeeded()
        let latencyStart = Self.cpu(daemon: daemon.pid, workers: workers)
        let submitted = try await self.offerLoad(session)
        try await self.waitUntil("the offered jobs are done", timeout: .seconds(120)) { try await session.succeeded() >= before + submitted }
        let latencyEnd = Self.cpu(daemon: daemon.pid, workers: workers)
        let latencies = await self.stopReadingLatencies(workers)
        log("arbiter: \(latencies.count) latency samples")
        return Figures(
            drainPerSecond: Double(self.options.jobs) / drainSeconds, p50: Self.percentile(latencies, 50), p99: Self.percentile(latencies, 99),
            drainCPU: CPUPerJob(from: drainStart, to: drainEnd, jobs: self.options.jobs),
            latencyCPU: CPUPerJob(from: latencyStart, to: latencyEnd, jobs: submitted))
    }

    /// The daemon's and the workers' CPU seconds so far (the SQLite store runs inside the daemon).
    static func cpu(daemon: Int32, workers: [Worker]) -> CPUPerJob.Reading {
        CPUPerJob.Reading(daemon: ProcessCPU.seconds([daemon]), workers: ProcessCPU.seconds(workers.map(\.process.pid)), postgres: 0)
    }

    struct Worker {
        let process: ChildProcess
        let output: String
    }

    func startWorkers(_ session: Session, directory: TemporaryDirectory, tag: String) throws -> [Worker] {
        try (1...2).map { index in
            let output = directory.file("\(tag)-\(index).latencies")
            let process = try ChildProcess(
                executable: CommandLine.arguments[0],
                arguments: ["worker", session.base, "bench-\(tag)-\(index)", String(self.options.workerConcurrency), output],
                environment: ["ARBITER_TOKEN": session.token], directory: directory.path, name: "worker-\(tag)-\(index)")
            return Worker(process: process, output: output)
        }
    }

    /// Stops the workers and returns the submit→start latencies they recorded, in milliseconds, ascending.
    func stopReadingLatencies(_ workers: [Worker]) async -> [Double] {
        var latencies: [Double] = []
        for worker in workers {
            await worker.process.stop()
            let text = (try? String(contentsOfFile: worker.output, encoding: .utf8)) ?? ""
            latencies += text.split(separator: "\n").compactMap { Double($0) }
        }
        return latencies.sorted()
    }

    func offerLoad(_ session: Session) async throws -> Int {
        let ticks = self.options.seconds * 100
        let perTick = max(1, self.options.rate / 100)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tick in 0..<ticks {
                try await Task.sleep(until: started + .milliseconds(10 * tick), clock: .continuous)
                group.addTask { try await session.submit(count: perTick, stamped: true) }
            }
            try await group.waitForAll()
        }
        return ticks * perTick
    }

    func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), interval: Duration = .milliseconds(10), _ condition: () async throws -> Bool
    ) async throws {
        try await Polling.until(what, timeout: timeout, interval: interval, condition)
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    // MARK: pgqueuer

    func measurePgqueuer(python: String) async throws -> Figures {
        // Durable, as Arbiter's SQLite is (synchronous = FULL): fsync and synchronous_commit on.
        try await DurablePostgresCluster.with { postgres in
            let dsn = postgres.url(database: "postgres")
            log("pgqueuer: running \(self.options.pgqueuerScript) against PostgreSQL on port \(postgres.port) (fsync on)")
            let report = try self.runPgqueuerScript(python: python, dsn: dsn, extraArguments: ["--postgres-pid", String(try postgres.postmasterPID())])
            var figures = Self.figures(pgqueuer: report)
            figures.drainCPU = Self.pgqueuerCPU(report.drain)
            figures.latencyCPU = Self.pgqueuerCPU(report.latency)
            return figures
        }
    }

    /// Runs the pgqueuer script against `dsn` and returns its report's drain and latency sections.
    /// - Parameter extraArguments: Added after the ones every run passes.
    func runPgqueuerScript(python: String, dsn: String, extraArguments: [String] = []) throws -> (drain: [String: Any], latency: [String: Any]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let arguments = [
            self.options.pgqueuerScript, dsn, "--jobs", String(self.options.jobs), "--consumers", "2", "--batch-size", "100", "--rate",
            String(self.options.rate), "--duration", String(self.options.seconds),
        ]
        process.arguments = arguments + extraArguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let report = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let drain = report["drain"] as? [String: Any], let latency = report["latency"] as? [String: Any]
        else {
            throw TestingError("the pgqueuer benchmark failed (status \(process.terminationStatus))")
        }
        return (drain, latency)
    }

    static func figures(pgqueuer report: (drain: [String: Any], latency: [String: Any])) -> Figures {
        let (drain, latency) = report
        return Figures(
            drainPerSecond: (drain["drain_jobs_per_s"] as? NSNumber)?.doubleValue ?? .nan,
            p50: (latency["submit_to_start_p50_ms"] as? NSNumber)?.doubleValue ?? .nan,
            p99: (latency["submit_to_start_p99_ms"] as? NSNumber)?.doubleValue ?? .nan)
    }
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
