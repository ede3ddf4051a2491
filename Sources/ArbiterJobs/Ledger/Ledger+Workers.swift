import ArbiterCore

extension Ledger: WorkerStore {
    public func register(id: String, capabilities: [String], concurrency: Int, labels: [String: String], now: Int64) async throws -> WorkerRecord {
        try await self.write(now: now) { transaction, audit, _ in
            try transaction.upsertWorker(id: id, capabilities: capabilities, concurrency: concurrency, labels: labels, at: now)
            try audit.record(
                "worker.registered", "worker", id, [("capabilities", Self.encodeList(capabilities)), ("concurrency", String(concurrency))])
            return try Self.loadWorker(id, transaction)
        }
    }

    public func heartbeat(workerID: String, jobs: [String]?, leaseMilliseconds: Int64, now: Int64) async throws -> WorkerRecord {
        try await self.write(now: now) { transaction, audit, _ in
            // A heartbeat is liveness, not audited, unless it brings an offline worker back.
            if try transaction.setWorkerState(id: workerID, to: .idle, from: [.offline]) {
                try audit.record("worker.online", "worker", workerID)
            }
            try transaction.touchWorker(id: workerID, at: now)
            try transaction.extendLeases(workerID: workerID, jobs: jobs, until: now + leaseMilliseconds)
            return try Self.loadWorker(workerID, transaction)
        }
    }

    public func workers() async throws -> [WorkerRecord] {
        try await self.read { transaction in try transaction.workers() }
    }

    public func worker(id: String) async throws -> WorkerRecord? {
        try await self.read { transaction in try transaction.worker(id: id) }
    }

    public func drain(workerID: String, now: Int64) async throws -> WorkerRecord {
        try await self.write(now: now) { transaction, audit, _ in
            if try transaction.setWorkerState(id: workerID, to: .draining, from: [.idle, .busy]) {
                try audit.record("worker.drained", "worker", workerID)
            }
            return try Self.loadWorker(workerID, transaction)
        }
    }

    public func remove(workerID: String, now: Int64) async throws {
        _ = try await self.write(now: now) { transaction, audit, _ in
            _ = try Self.loadWorker(workerID, transaction)
            // Its jobs' leases end now; the next expiry pass requeues them.
            try transaction.endLeases(workerID: workerID, except: [], now: now)
            try transaction.deleteWorker(id: workerID)
            try audit.record("worker.removed", "worker", workerID)
        }
    }

    public func endLeases(workerID: String, except keep: [String], now: Int64) async throws {
        // Only brings lease deadlines forward; the expiry that follows is what is audited.
        _ = try await self.write(now: now) { transaction, _, _ in
            try transaction.endLeases(workerID: workerID, except: keep, now: now)
        }
    }

    public func markOffline(silentSince cutoff: Int64, now: Int64) async throws -> [String] {
        try await self.write(now: now) { transaction, audit, _ in
            let silent = try transaction.silentWorkers(before: cutoff)
            for id in silent where try transaction.setWorkerState(id: id, to: .offline, from: [.idle, .busy, .draining]) {
                try audit.record("worker.offline", "worker", id)
                try transaction.endLeases(workerID: id, except: [], now: now)
            }
            return silent
        }
    }

    private static func loadWorker(_ id: String, _ transaction: any StoreTransaction) throws -> WorkerRecord {
        guard let worker = try transaction.worker(id: id) else { throw JobStoreError(.notFound, "worker \(id) is not registered") }
        return worker
    }

    /// A list of names as the audit log shows it: a JSON array.
    private static func encodeList(_ names: [String]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(name, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}
