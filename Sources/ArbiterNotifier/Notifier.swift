import ArbiterCore
import ArbiterMetrics
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// Sends alerts to Alertmanagers (API v2) from a bounded queue, as Prometheus's notifier does: when
/// the queue is full the oldest alerts are dropped and counted; batches go to every Alertmanager,
/// and a batch counts as delivered when one of them took it.
///
/// Metrics mirror `prometheus_notifications_*` as `arbiter_notifications_*`.
public final class Notifier: Service, Sendable {
    public struct Options: Sendable {
        /// Base URLs (`http://host:9093`); alerts go to `<url>/api/v2/alerts`.
        public var alertmanagers: [String]
        public var queueCapacity: Int
        public var timeout: Duration
        public var maxBatch: Int

        public init(alertmanagers: [String], queueCapacity: Int = 10_000, timeout: Duration = .seconds(10), maxBatch: Int = 64) {
            self.alertmanagers = alertmanagers
            self.queueCapacity = queueCapacity
            self.timeout = timeout
            self.maxBatch = maxBatch
        }
    }

    public let options: Options
    private let queue = Mutex<[NotifierAlert]>([])
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let metrics: NotifierMetrics
    private let logger: Logger

    /// - Throws: ``MetricsError`` when the metrics cannot be registered.
    public init(options: Options, registry: MetricRegistry, logger: Logger) throws {
        self.options = options
        self.logger = logger
        (self.wakes, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.metrics = try NotifierMetrics(registry: registry, alertmanagers: options.alertmanagers, capacity: options.queueCapacity)
    }

    /// Queues alerts; the oldest go when the queue would overflow.
    public func send(_ alerts: [NotifierAlert]) {
        guard !alerts.isEmpty else { return }
        let (dropped, length) = self.queue.withLock { queue -> (Int, Int) in
            queue.append(contentsOf: alerts)
            let overflow = max(0, queue.count - self.options.queueCapacity)
            if overflow > 0 { queue.removeFirst(overflow) }
            return (overflow, queue.count)
        }
        if dropped > 0 {
            self.metrics.dropped.increment(by: dropped)
            self.logger.warning("alert notification queue full, dropping alerts", metadata: ["dropped": "\(dropped)"])
        }
        self.metrics.queueLength.set(Double(length))
        self.wake.yield()
    }

    public var queueLength: Int { self.queue.withLock { $0.count } }

    public func run() async throws {
        for await _ in self.wakes.cancelOnGracefulShutdown() {
            await self.drain()
        }
        // One last try for what is queued at shutdown (a resolve should not be lost on a restart).
        await self.drain()
    }

    /// Sends everything queued, batch by batch.
    func drain() async {
        while true {
            let batch = self.queue.withLock { queue -> [NotifierAlert] in
                let taken = Array(queue.prefix(self.options.maxBatch))
                queue.removeFirst(taken.count)
                return taken
            }
            self.metrics.queueLength.set(Double(self.queueLength))
            guard !batch.isEmpty, !self.options.alertmanagers.isEmpty else { return }
            let body = try? JSONSerialization.data(withJSONObject: batch.map(\.json))
            var delivered = false
            for alertmanager in self.options.alertmanagers {
                if await self.post(body ?? Data(), count: batch.count, to: alertmanager) { delivered = true }
            }
            if !delivered {
                self.metrics.dropped.increment(by: batch.count)
                self.logger.error("alerts could not be sent to any Alertmanager", metadata: ["alerts": "\(batch.count)"])
            }
        }
    }

    private func post(_ body: Data, count: Int, to alertmanager: String) async -> Bool {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: alertmanager.trimmingTrailingSlash + "/api/v2/alerts")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Arbiter/\(ArbiterVersion.version)")
        request.body = .bytes(ByteBuffer(bytes: body))
        var failure: String?
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(self.options.timeout.wholeMilliseconds))
            if !(200..<300).contains(Int(response.status.code)) {
                let text = try? await response.body.collect(upTo: 4096)
                failure = "HTTP \(response.status.code): \(text.map { String(buffer: $0) } ?? "")"
            }
        } catch {
            failure = "\(error)"
        }
        self.metrics.latency(alertmanager, started.duration(to: .now).seconds)
        if let failure {
            self.metrics.failed(alertmanager, count)
            self.logger.warning("sending alerts to Alertmanager failed", metadata: ["alertmanager": "\(alertmanager)", "error": "\(failure)"])
            return false
        }
        self.metrics.sent(alertmanager, count)
        return true
    }
}

extension String {
    var trimmingTrailingSlash: String { self.hasSuffix("/") ? String(self.dropLast()) : self }
}
