import ArbiterCore
import ArbiterMetrics
import ArbiterTSDB
import Logging
import Synchronization

/// One endpoint's sender: each sampling round is encoded and made durable in the disk queue before
/// anything is sent, then rounds go out strictly one after another, each one's requests in parallel
/// on up to `shards` connections. A round holds at most one sample per series, so its requests can
/// go in any order while every series stays in timestamp order. A round is acknowledged once all of
/// its requests were delivered or dropped for good; until then it is retried, across restarts too.
public final class RemoteWriteQueue: Sendable {
    private struct Storage {
        var encoder: RoundEncoder
        var queue: SegmentQueue
    }

    public let endpoint: RemoteWriteEndpoint
    let client: RemoteWriteClient
    let metrics: RemoteWriteMetrics.Endpoint
    let logger: Logger
    private let storage: Mutex<Storage>
    private let sizer: Mutex<ShardSizer>
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    /// Opens (and repairs) the endpoint's disk queue.
    public init(endpoint: RemoteWriteEndpoint, directory: String, metrics: RemoteWriteMetrics, logger: Logger) throws {
        self.endpoint = endpoint
        self.client = try RemoteWriteClient(endpoint: endpoint)
        self.metrics = try metrics.endpoint(name: endpoint.name, url: endpoint.url, minShards: endpoint.queue.minShards, maxShards: endpoint.queue.maxShards)
        self.logger = logger
        let queue = try SegmentQueue(directory: directory, maxBytes: endpoint.diskMaxBytes)
        if queue.recovery.truncations > 0 {
            self.metrics.truncations.increment(by: queue.recovery.truncations)
            logger.warning(
                "remote write buffer had torn or corrupt records; cut them off and kept what came before",
                metadata: ["remote_name": "\(endpoint.name)", "truncations": "\(queue.recovery.truncations)",
                           "bytes_truncated": "\(queue.recovery.bytesTruncated)", "records_kept": "\(queue.recovery.records)"])
        }
        self.metrics.pending.set(Double(queue.pendingSamples))
        self.metrics.bufferBytes.set(Double(queue.bytes))
        self.storage = Mutex(Storage(
            encoder: RoundEncoder(externalLabels: endpoint.externalLabels, relabel: endpoint.relabel, maxSamplesPerSend: endpoint.queue.maxSamplesPerSend),
            queue: queue))
        self.sizer = Mutex(ShardSizer(minShards: endpoint.queue.minShards, maxShards: endpoint.queue.maxShards))
        self.metrics.shards.set(Double(endpoint.queue.minShards))
        self.metrics.shardsDesired.set(Double(endpoint.queue.minShards))
        (self.signals, self.signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Encodes one sampling round and makes it durable; the sender picks it up.
    public func append(round: [(Labels, Double)], at timestamp: Int64) {
        do {
            let (samples, dropped, relabelled, bytes, pending) = try self.storage.withLock { storage in
                let blocks = storage.encoder.encode(round, at: timestamp)
                let dropped = try storage.queue.append(blocks, round: UInt64(timestamp), timestamp: timestamp)
                return (blocks.reduce(0) { $0 + $1.samples }, dropped, storage.encoder.droppedSeries, storage.queue.bytes, storage.queue.pendingSamples)
            }
            self.sizer.withLock { $0.received(samples: samples) }
            if dropped > 0 {
                self.metrics.droppedBufferFull.increment(by: dropped)
                self.logger.warning(
                    "remote write buffer is full; dropped its oldest samples", metadata: ["remote_name": "\(self.endpoint.name)", "samples": "\(dropped)"])
            }
            if relabelled > 0 { self.metrics.droppedSeries.increment(by: relabelled) }
            self.metrics.highest.set(Double(timestamp) / 1000)
            self.metrics.bufferBytes.set(Double(bytes))
            self.metrics.pending.set(Double(pending))
            self.signal.yield()
        } catch {
            // The round is lost to this endpoint: counted by its series, each one sample of the round.
            self.metrics.droppedWriteFailed.increment(by: round.count)
            self.logger.error(
                "cannot write the remote write buffer; the round is dropped",
                metadata: ["remote_name": "\(self.endpoint.name)", "samples": "\(round.count)", "error": "\(error)"])
        }
    }

    /// Sends rounds until cancelled; what is not delivered stays on disk. Rounds waiting behind
    /// one another (a backlog) that fit together in `max_samples_per_send` go as one request.
    public func run() async {
        self.signal.yield()
        for await _ in self.signals {
            while !Task.isCancelled {
                let batch: (records: [(record: SegmentQueue.Record, payload: [UInt8])], rounds: Int)
                do {
                    batch = try self.storage.withLock { try $0.queue.nextBatch(maxSamples: self.endpoint.queue.maxSamplesPerSend) }
                } catch {
                    self.logger.error("cannot read the remote write buffer", metadata: ["remote_name": "\(self.endpoint.name)", "error": "\(error)"])
                    break
                }
                guard let last = batch.records.last else { break }
                let requests = batch.records.map { (payload: $0.payload, samples: $0.record.samples) }
                var sent: Bool
                if batch.rounds == 1 {
                    sent = await self.send(requests)
                } else if let merged = RequestMerge.merge(requests.map(\.payload)) {
                    sent = await self.send([(merged, requests.reduce(0) { $0 + $1.samples })])
                } else {
                    // Rounds that cannot be merged go one after another, never in parallel.
                    sent = true
                    for request in requests where sent { sent = await self.send([request]) }
                }
                guard sent else { return }
                var pending = 0
                do {
                    let bytes: Int64
                    (bytes, pending) = try self.storage.withLock { storage in
                        try storage.queue.acknowledge(upTo: last.record.end)
                        return (storage.queue.bytes, storage.queue.pendingSamples)
                    }
                    self.metrics.bufferBytes.set(Double(bytes))
                    self.metrics.pending.set(Double(pending))
                    self.metrics.highestSent.set(Double(last.record.timestamp) / 1000)
                } catch {
                    self.logger.error("cannot acknowledge in the remote write buffer", metadata: ["remote_name": "\(self.endpoint.name)", "error": "\(error)"])
                }
                self.reshardIfDue(pending: Double(pending))
            }
            if Task.isCancelled { return }
        }
    }

    /// Sends one round's requests, `shards` at a time. `false` when cancelled before all were settled.
    private func send(_ round: [(payload: [UInt8], samples: Int)]) async -> Bool {
        let shards = self.sizer.withLock { $0.shards }
        return await withTaskGroup(of: Bool.self) { group in
            var next = 0
            var settled = true
            while next < min(shards, round.count) {
                let item = round[next]
                group.addTask { await self.deliver(item.payload, samples: item.samples) }
                next += 1
            }
            for await done in group {
                settled = settled && done
                if next < round.count, settled {
                    let item = round[next]
                    group.addTask { await self.deliver(item.payload, samples: item.samples) }
                    next += 1
                }
            }
            return settled && next == round.count
        }
    }

    /// Sends one request until it is delivered or dropped for good. `false` when cancelled first.
    private func deliver(_ payload: [UInt8], samples: Int) async -> Bool {
        var backoff = self.endpoint.queue.minBackoff
        var attempt = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let outcome = await self.client.send(payload, attempt: attempt)
            let took = ContinuousClock.now - started
            self.metrics.batchDuration.observe(took)
            switch outcome {
            case .delivered:
                self.metrics.samples.increment(by: samples)
                self.metrics.bytes.increment(by: payload.count)
                self.sizer.withLock { $0.delivered(samples: samples, took: took) }
                return true
            case .drop(let reason):
                self.metrics.failed.increment(by: samples)
                self.logger.error(
                    "remote storage refused samples for good; dropped", metadata: ["remote_name": "\(self.endpoint.name)", "samples": "\(samples)", "reason": "\(reason)"])
                return true
            case .retry(let after, let reason):
                self.metrics.retried.increment(by: samples)
                let sleep = after ?? backoff
                self.sizer.withLock { $0.failed(retryingIn: sleep) }
                self.logger.warning(
                    "remote write failed; retrying",
                    metadata: ["remote_name": "\(self.endpoint.name)", "reason": "\(reason)", "retry_in": "\(PrometheusDuration.format(sleep))"])
                do {
                    try await Task.sleep(for: sleep)
                } catch {
                    return false
                }
                backoff = min(sleep * 2, self.endpoint.queue.maxBackoff)
                attempt += 1
            }
        }
        return false
    }

    /// Resizes the shards from the measured throughput when it is time (see ``ShardSizer``).
    private func reshardIfDue(pending: Double) {
        let (shards, desired) = self.sizer.withLock { sizer in
            sizer.update(pending: pending)
            return (sizer.shards, sizer.desired)
        }
        self.metrics.shards.set(Double(shards))
        self.metrics.shardsDesired.set(Double(desired))
    }

    func shutdown() async {
        self.signal.finish()
        await self.client.shutdown()
    }
}
