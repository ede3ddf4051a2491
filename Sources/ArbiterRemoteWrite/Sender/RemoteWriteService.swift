import ArbiterTSDB
import Logging
import ServiceLifecycle

/// Every configured remote-write endpoint, fed each sampling round of the registry. Runs their
/// senders until graceful shutdown; whatever is undelivered then stays in their disk queues and
/// goes out after the next start.
public final class RemoteWriteService: Service, Sendable {
    public let queues: [RemoteWriteQueue]

    /// - Parameter directory: Where endpoints without `disk.path` keep their queue (`<dir>/<name>`).
    /// - Throws: ``SharedBufferError`` when two endpoints would keep their queue in one folder.
    public init(endpoints: [RemoteWriteEndpoint], directory: String, metrics: RemoteWriteMetrics, logger: Logger) throws {
        let folders = endpoints.map { $0.bufferFolder(defaultDirectory: directory) }
        for (index, folder) in folders.enumerated() {
            if let other = folders[..<index].firstIndex(of: folder) {
                throw SharedBufferError(folder: folder, endpoints: (endpoints[other].name, endpoints[index].name))
            }
        }
        self.queues = try zip(endpoints, folders).map { endpoint, folder in
            try RemoteWriteQueue(endpoint: endpoint, directory: folder, metrics: metrics, logger: logger)
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

/// Two endpoints would share one disk queue (one's `disk.path` is the other's folder).
public struct SharedBufferError: Error, CustomStringConvertible {
    public let folder: String
    public let endpoints: (String, String)

    public var description: String {
        "remote write endpoints \"\(self.endpoints.0)\" and \"\(self.endpoints.1)\" would share the buffer \(self.folder); give each its own disk.path"
    }
}
