import ArbiterApp
import ArbiterCore
import ArbiterJobs
import ArbiterStorage
import ArbiterTesting
import Foundation

/// `--soak`: the daemon (SQLite, audit on) under a steady offered load (`--rate`, 300 jobs/s by
/// default) for `--minutes` (30), with every final state kept for `--retention` (2m) and retention
/// passing every 15 s. Before it starts, `--prune-backlog` finished jobs (200,000) older than the
/// retention are put in the store, so the first pass is a large prune under load. Every 30 s it prints
/// the daemon's resident memory, the store's size and rows, the jobs removed so far, and the
/// submit→start p50/p99 of the jobs started in those 30 s; at the end, the growth of memory and store
/// over the last 10 minutes, and the p99 during the large prune against the rest. Every 5 minutes it
/// archives the audit entries older than the retention (`AuditArchiver`, what `arbiter audit archive`
/// runs, from this process while the daemon serves), as an operator's cron job would: retention bounds
/// the jobs, archiving bounds the audit log.
extension Driver {
    struct SoakSample {
        var minute: Double
        var rssBytes: Double
        var storeBytes: Double
        var jobRows: Int
        var pruned: Double
        var p50: Double
        var p99: Double
        var started: Int
    }

    func runSoak() async throws {
        let directory = try TemporaryDirectory(prefix: "jobs-soak")
        defer { directory.remove() }
        let retention = self.options.soakRetention
        let config = try directory.write(
            "arbiter.yaml",
            """
            log:
              level: warning
            job_types:
              noop:
                max_attempts: 3
            retention:
              succeeded: \(retention)
              cancelled: \(retention)
              dead: \(retention)
              interval: 15s
            """)
        let data = directory.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let database = "\(data)/arbiter.db"
        try Self.fillWithPrunableJobs(database, count: self.options.pruneBacklog)
        log("soak: \(self.options.pruneBacklog) finished jobs past their retention put in the store")

        let port = try FreePort.next()
        let base = "http://127.0.0.1:\(port)"
        let daemon = try ChildProcess(
            executable: CommandLine.arguments[0], arguments: ["serve", config, "127.0.0.1:\(port)", data], directory: directory.path, name: "daemon")
        defer { daemon.signal(SIGTERM) }
        try await self.waitUntil("the daemon is ready") { (try? await HTTPProbe.get(base + "/readyz").status) == 200 }
        let token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let session = Session(base: base, token: token, gated: false)
        let workers = try (1...2).map { index in
            let output = directory.file("soak-\(index).latencies")
            let process = try ChildProcess(
                executable: CommandLine.arguments[0], arguments: ["worker", base, "soak-\(index)", String(self.options.workerConcurrency), output],
                environment: ["ARBITER_TOKEN": token, "BENCH_STREAM_LATENCIES": "1"], directory: directory.path, name: "soak-worker-\(index)")
            return Worker(process: process, output: output)
        }
        defer { for worker in workers { worker.process.signal(SIGTERM) } }
        try await self.waitUntil("both workers are connected") { try await session.connectedWorkers() == 2 }

        let started = ContinuousClock.now
        let end = started + .seconds(self.options.soakMinutes * 60)
        let rate = self.options.givenRate ?? 300
        let perTick = max(1, rate / 100)
        emit("soak: \(rate) jobs/s offered for \(self.options.soakMinutes) min, retention \(retention), backlog \(self.options.pruneBacklog)")
        emit("minute  rss_MiB  store_MiB  job_rows  pruned_total  started  p50_ms  p99_ms")
        let load = Task {
            var tick = 0
            while ContinuousClock.now < end, !Task.isCancelled {
                try? await Task.sleep(until: started + .milliseconds(10 * tick), clock: .continuous)
                tick += 1
                Task { try? await session.submit(count: perTick, stamped: true) }
            }
        }
        var samples: [SoakSample] = []
        var offsets = workers.map { _ in UInt64(0) }
        var next = started + .seconds(30)
        let retentionMilliseconds = PrometheusDuration.milliseconds(retention) ?? 120_000
        var archives = 0
        while next <= end {
            try await Task.sleep(until: next, clock: .continuous)
            if Int((next - started).components.seconds) % 300 == 0 {
                archives += 1
                let began = ContinuousClock.now
                do {
                    let ledger = try Ledger.sqlite(path: database)
                    let archived = try await AuditArchiver(store: ledger).archive(
                        before: Int64(Date().timeIntervalSince1970 * 1000) - retentionMilliseconds, to: directory.file("audit-\(archives).jsonl"),
                        now: Int64(Date().timeIntervalSince1970 * 1000))
                    try await ledger.close()
                    emit("soak: archived \(archived?.entries ?? 0) audit entries in \(ContinuousClock.now - began)")
                } catch {
                    emit("soak: archiving the audit log failed: \(error)")
                }
                try? FileManager.default.removeItem(atPath: directory.file("audit-\(archives).jsonl"))
            }
            var latencies: [Double] = []
            for (index, worker) in workers.enumerated() { latencies += Self.readNew(worker.output, offset: &offsets[index]) }
            latencies.sort()
            let sample = SoakSample(
                minute: Double((next - started).components.seconds) / 60, rssBytes: Self.rss(daemon.pid), storeBytes: Self.fileBytes(database),
                jobRows: (try? SQLiteConnection(path: database).query("SELECT COUNT(*) FROM jobs").first?[0].integer).flatMap { $0.map(Int.init) } ?? -1,
                pruned: try await Self.metric(session, "arbiter_jobs_pruned_total"), p50: Self.percentile(latencies, 50),
                p99: Self.percentile(latencies, 99), started: latencies.count)
            samples.append(sample)
            emit(String(
                format: "%6.1f  %7.1f  %9.1f  %8d  %12.0f  %7d  %6.2f  %6.2f", sample.minute, sample.rssBytes / 1_048_576, sample.storeBytes / 1_048_576,
                sample.jobRows, sample.pruned, sample.started, sample.p50, sample.p99))
            next = next + .seconds(30)
        }
        load.cancel()
        Self.summarize(samples, backlog: self.options.pruneBacklog)
    }

    static func summarize(_ samples: [SoakSample], backlog: Int) {
        guard let last = samples.last, let tenBefore = samples.last(where: { $0.minute <= last.minute - 10 }) else { return }
        emit(String(
            format: "growth over the last 10 minutes: resident memory %+.1f%%, store %+.1f%% (job rows %d → %d)",
            (last.rssBytes / tenBefore.rssBytes - 1) * 100, (last.storeBytes / tenBefore.storeBytes - 1) * 100, tenBefore.jobRows, last.jobRows))
        // The windows in which the backlog was being removed, against the windows after it.
        let pruning = samples.filter { $0.pruned < Double(backlog) }.map(\.p99) + [samples.first { $0.pruned >= Double(backlog) }?.p99 ?? .nan]
        let after = samples.drop { $0.pruned < Double(backlog) }.dropFirst().map(\.p99)
        let firstHalf = samples.prefix(samples.count / 2).map(\.p99).sorted(), secondHalf = samples.suffix(samples.count / 2).map(\.p99).sorted()
        emit(String(
            format: "p99 per 30 s window: while the %d-job backlog was pruned max %.2f ms; afterwards median %.2f ms, max %.2f ms; first half median %.2f ms, second half median %.2f ms",
            backlog, pruning.max() ?? .nan, percentile(after.sorted(), 50), after.max() ?? .nan, percentile(firstHalf, 50), percentile(secondHalf, 50)))
    }

    /// Puts `count` jobs that succeeded an hour ago (with one attempt each) in a new store.
    static func fillWithPrunableJobs(_ path: String, count: Int) throws {
        let connection = try SQLiteConnection(path: path)
        _ = try SQLiteMigrator().migrate(connection)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try connection.execute("BEGIN")
        for index in 0..<count {
            let id = String(format: "0000soak-%012d", index)
            let at = now - 3_600_000 + Int64(index / 100)
            try connection.query(
                """
                INSERT INTO jobs (id, type, payload, priority, state, run_at, attempt, max_attempts, backoff_initial_ms, backoff_max_ms, timeout_ms,
                    created_at, updated_at, queued_at, started_at, finished_at)
                VALUES (?, 'noop', '{}', 0, 'succeeded', ?, 1, 3, 1000, 300000, 300000, ?, ?, ?, ?, ?)
                """, [.text(id), .integer(at), .integer(at), .integer(at), .integer(at), .integer(at), .integer(at)])
            try connection.query(
                "INSERT INTO job_attempts (job_id, attempt, worker_id, lease_token, started_at, finished_at, outcome) VALUES (?, 1, 'soak', ?, ?, ?, 'succeeded')",
                [.text(id), .integer(Int64(index + 1)), .integer(at), .integer(at)])
        }
        try connection.execute("COMMIT")
    }

    /// Latencies appended to a worker's file since `offset` (lines "unix-seconds latency-ms").
    static func readNew(_ path: String, offset: inout UInt64) -> [Double] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = handle.readDataToEndOfFile()
        guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        let complete = data[data.startIndex...lastNewline]
        offset += UInt64(complete.count)
        return String(decoding: complete, as: UTF8.self).split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    static func rss(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }

    static func fileBytes(_ database: String) -> Double {
        ["", "-wal"].reduce(0) { total, suffix in
            total + Double((try? FileManager.default.attributesOfItem(atPath: database + suffix)[.size] as? Int64) ?? 0)
        }
    }

    /// The sum of a metric's series on the daemon's `/metrics`.
    static func metric(_ session: Session, _ name: String) async throws -> Double {
        let text = try await session.send("/metrics").text
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }
}

func emit(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
