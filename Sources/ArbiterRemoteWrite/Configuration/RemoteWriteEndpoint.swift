import ArbiterTSDB
import Foundation

/// One `remote_write` entry of the configuration, as Prometheus names its keys.
public struct RemoteWriteEndpoint: Sendable, Equatable {
    public struct QueueConfig: Sendable, Equatable {
        /// Samples the sender keeps in memory per shard before it reads more from disk.
        public var capacity = 10_000
        public var minShards = 1
        public var maxShards = 50
        public var maxSamplesPerSend = 2_000
        /// The longest a sample waits in memory before it is sent; Arbiter sends each sampling round
        /// as soon as it is on disk, which is never later than this.
        public var batchSendDeadline: Duration = .seconds(5)
        public var minBackoff: Duration = .milliseconds(30)
        public var maxBackoff: Duration = .seconds(5)
        public var retryOnHTTP429 = false

        public init() {}
    }

    public struct BasicAuth: Sendable, Equatable {
        public var username: String
        public var password: String?
        public var passwordFile: String?

        public init(username: String, password: String?, passwordFile: String?) {
            self.username = username
            self.password = password
            self.passwordFile = passwordFile
        }
    }

    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var insecureSkipVerify = false

        public init() {}
    }

    public var url: String
    /// Unique among endpoints; the `remote_name` label of its metrics and its disk queue's folder.
    public var name: String
    public var remoteTimeout: Duration = .seconds(30)
    public var headers: [String: String] = [:]
    public var basicAuth: BasicAuth?
    public var bearerToken: String?
    public var bearerTokenFile: String?
    public var tls = TLS()
    public var externalLabels: [String: String] = [:]
    public var relabel: [RelabelRule] = []
    public var queue = QueueConfig()
    /// The disk queue's folder (default `<data_dir>/remote-write/<name>`) and budget.
    public var diskPath: String?
    public var diskMaxBytes: Int64 = 1 << 30

    public init(url: String, name: String) {
        self.url = url
        self.name = name
    }

    /// The folder of the disk queue, `disk.path` or `<directory>/<name>`, spelt one way (no `..`,
    /// `.` or trailing `/`), so two spellings of one folder compare equal.
    public func bufferFolder(defaultDirectory directory: String) -> String {
        Self.standardized(self.diskPath ?? directory + "/" + self.name)
    }

    /// `path` spelt one way (no `..`, `.` or trailing `/`).
    public static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Headers a configuration may not set, as Prometheus refuses them (`config.reservedHeaders`).
    public static let reservedHeaders: Set<String> = [
        "host", "content-encoding", "content-length", "content-type", "user-agent", "connection", "keep-alive",
        "proxy-authenticate", "proxy-authorization", "www-authenticate", "accept-encoding", "x-prometheus-remote-write-version",
        "x-prometheus-remote-read-version", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
    ]
}

/// A `write_relabel_configs` step: the subset Arbiter applies (`keep`, `drop`, `labeldrop`).
public enum RelabelRule: Sendable, Equatable {
    /// Keeps the series whose `source_labels` values, joined by `separator`, match `regex`.
    case keep(sourceLabels: [String], separator: String, regex: AnchoredRegex)
    /// Drops them.
    case drop(sourceLabels: [String], separator: String, regex: AnchoredRegex)
    /// Removes the labels whose names match `regex`.
    case labelDrop(regex: AnchoredRegex)

    /// Applies the rules in order: the labels to send, or `nil` when the series is dropped.
    public static func apply(_ rules: [RelabelRule], to pairs: [(name: String, value: String)]) -> [(name: String, value: String)]? {
        var pairs = pairs
        for rule in rules {
            switch rule {
            case .keep(let names, let separator, let regex), .drop(let names, let separator, let regex):
                let joined = names.map { name in pairs.first { $0.name == name }?.value ?? "" }.joined(separator: separator)
                let matched = regex.matches(joined)
                if case .keep = rule, !matched { return nil }
                if case .drop = rule, matched { return nil }
            case .labelDrop(let regex):
                pairs.removeAll { regex.matches($0.name) }
            }
        }
        return pairs
    }
}
