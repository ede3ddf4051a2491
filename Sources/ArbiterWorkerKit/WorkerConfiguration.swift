import ArbiterWorkerProtocol
import Foundation

/// What a worker runs and where it connects.
public struct WorkerConfiguration: Sendable {
    /// The server's base URL, `http://host:port` (or `ws://…`); for a cluster, several replicas'
    /// separated by commas: on losing one the worker connects to the next (see ``servers``).
    public var server: String
    /// The worker's id; a worker that reconnects under the same id keeps its running jobs.
    public var workerID: String
    /// The job types it runs.
    public var capabilities: [String]
    /// How many jobs it runs at once.
    public var concurrency: Int
    public var labels: [String: String]
    /// Reconnect backoff: the first wait, doubled per failed attempt up to `maxReconnectDelay`, with jitter.
    public var minReconnectDelay: Duration
    public var maxReconnectDelay: Duration
    /// How long a graceful shutdown waits for running jobs before cancelling them.
    public var drainTimeout: Duration
    /// The API token (or JWT) sent as `Authorization: Bearer …`; never logged.
    public var token: String?

    public init(
        server: String, workerID: String, capabilities: [String], concurrency: Int = 1, labels: [String: String] = [:],
        minReconnectDelay: Duration = .milliseconds(100), maxReconnectDelay: Duration = .seconds(10), drainTimeout: Duration = .seconds(30),
        token: String? = nil
    ) {
        self.token = token
        self.server = server
        self.workerID = workerID
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.labels = labels
        self.minReconnectDelay = minReconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
        self.drainTimeout = drainTimeout
    }

    /// The base URLs ``server`` lists, in order.
    public var servers: [String] {
        let listed = self.server.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return listed.isEmpty ? [self.server] : listed
    }

    /// The WebSocket URL of the worker channel on the first server.
    public var connectURL: String {
        self.connectURL(server: 0)
    }

    /// The WebSocket URL of the worker channel on ``servers``[`index` modulo their count].
    public func connectURL(server index: Int) -> String {
        let servers = self.servers
        var base = servers[index % servers.count]
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasPrefix("http://") { base = "ws://" + base.dropFirst(7) }
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst(8) }
        let id = self.workerID.addingPercentEncodingForPath()
        return "\(base)/api/v1/workers/\(id)/connect"
    }

    /// The worker channel's URL over plain HTTP, which says why an upgrade was refused.
    func connectHTTPURL(server index: Int) -> String {
        let url = self.connectURL(server: index)
        if url.hasPrefix("ws://") { return "http://" + url.dropFirst(5) }
        if url.hasPrefix("wss://") { return "https://" + url.dropFirst(6) }
        return url
    }
}

extension String {
    func addingPercentEncodingForPath() -> String {
        var out = ""
        for byte in self.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}

/// Runs one job: the payload in, the result out. Throwing reports the attempt as failed with the
/// error's description; the task is cancelled when the server cancels the job or its timeout passes.
public typealias JobHandler = @Sendable (Assignment) async throws -> JSONValue?
