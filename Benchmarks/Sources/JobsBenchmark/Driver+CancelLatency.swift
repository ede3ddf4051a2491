import ArbiterTesting
import Foundation

/// How long a cancel takes to reach the worker running the job: requested on the first replica, the
/// job running on a worker connected to the last (with one replica, the same one, so no fan-out).
extension Driver {
    /// The latencies of ``Options/cancelSamples`` cancels, in milliseconds, ascending: from just before
    /// `POST /api/v1/jobs/{id}/cancel` is sent to the first replica until the holding worker on the
    /// last replica has read the server's `cancel` message (its `onCancelled` hook; see
    /// ``BenchHoldingWorker``). Both instants are wall-clock readings on this machine.
    ///
    /// One job at a time: each `hold` job is submitted on the first replica, and cancelled once the
    /// worker says it started it.
    /// - Returns: Those latencies, and the cancel requests' own (until their answer), both ascending.
    func measureCancels(_ replicas: ReplicaSet, directory: TemporaryDirectory) async throws -> (told: [Double], answered: [Double]) {
        let issuing = replicas.sessions[0]
        let holding = replicas.sessions[replicas.sessions.count - 1]
        let workerID = "bench-hold"
        // Connected to the last replica only, so that the job cannot run anywhere else.
        let worker = try ChildProcess(
            executable: CommandLine.arguments[0], arguments: ["hold", holding.base, workerID], environment: ["ARBITER_TOKEN": issuing.token],
            directory: directory.path, name: "holding-worker")
        do {
            try await self.waitUntil("the holding worker is connected") {
                guard worker.isRunning else { throw TestingError("the holding worker exited: \(worker.stderr)") }
                return Self.event(in: worker, "connected") != nil
            }
            if replicas.clustered {
                let last = "r\(replicas.sessions.count)"
                try await self.waitUntil("the cluster view shows the holding worker on \(last)", timeout: .seconds(30), interval: .milliseconds(100)) {
                    try await replicas.clusterView().workers[last]?.contains(workerID) == true
                }
            }
            var latencies: [Double] = []
            var answers: [Double] = []
            for _ in 0..<self.options.cancelSamples {
                let submitted = try await issuing.post("/api/v1/jobs", #"{"type":"\#(BenchHoldingWorker.jobType)","payload":{}}"#)
                let object = try? JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any]
                guard submitted.status == 201, let id = object?["id"] as? String else {
                    throw TestingError("submit answered \(submitted.status): \(submitted.text)")
                }
                try await self.waitUntil("the holding worker started \(id)", interval: .milliseconds(2)) {
                    Self.event(in: worker, "started \(id)") != nil
                }
                let requested = WallNanoseconds.now()
                let cancelled = try await issuing.post("/api/v1/jobs/\(id)/cancel", #"{"reason":"bench"}"#)
                let answered = WallNanoseconds.now()
                guard cancelled.status == 200 else { throw TestingError("cancel answered \(cancelled.status): \(cancelled.text)") }
                var told: Int64?
                try await self.waitUntil("the holding worker is told to cancel \(id)", timeout: .seconds(30), interval: .milliseconds(1)) {
                    told = Self.event(in: worker, "cancelled \(id)")
                    return told != nil
                }
                latencies.append(Double((told ?? requested) - requested) / 1e6)
                answers.append(Double(answered - requested) / 1e6)
            }
            await worker.stop()
            return (latencies.sorted(), answers.sorted())
        } catch {
            await worker.stop()
            throw error
        }
    }

    /// The wall-clock nanoseconds of the holding worker's line `event NS`, if it has written it.
    static func event(in worker: ChildProcess, _ event: String) -> Int64? {
        let prefix = event + " "
        for line in worker.stdout.split(separator: "\n") where line.hasPrefix(prefix) {
            return Int64(line.dropFirst(prefix.count))
        }
        return nil
    }
}
