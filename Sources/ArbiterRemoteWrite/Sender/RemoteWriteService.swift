import ArbiterTSDB
import Logging
import ServiceLifecycle

/// Every configured remote-write endpoint, fed each sampling round of the registry. Runs their
/// senders until graceful shutdown; whatever is undelivered then stays in their disk queues and
/// goes out after the next start.
public final class RemoteWriteService: Service, Sendable {
    public let queues: [RemoteWriteQueue]

    /// - Parameter directory: Where endpoints without `disk.path` keep their queue (`<dir>/<name>`).
    public init(endpoints: [RemoteWriteEndpoint], directory: String, metrics: RemoteWriteMetrics, logger: Logger) throws {
        self.queues = try endpoints.map { endpoint in
            try RemoteWriteQueue(
                endpoint: endpoint, directory: endpoint.diskPath ?? directory + "/" + endpoint.name, metrics: metrics, logger: logger)
        }
    }

    /// Hands one sampling round to every endpoint (durable before this returns).
    public func append(round: [(Labels, Double)], at timestamp: Int64) {
        for queue in self.queues { queue.append(round: round, at: timestamp) }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for queue in self.queues { group.addTask { await queue.run() } }
            }
        }
        for queue in self.queues { await queue.shutdown() }
    }
}
