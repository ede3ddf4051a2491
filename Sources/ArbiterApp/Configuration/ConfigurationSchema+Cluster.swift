import ArbiterCore
import Foundation

/// Configuration keys for running several replicas.
extension ConfigurationSchema {
    static let clusterFields: [ConfigField] = [
        ConfigField(
            path: "cluster.redis",
            summary: "turns cluster mode on: replicas over one PostgreSQL store, coordinated through this Redis (redis://[:password@]host:port/db or unix:///path)",
            flag: "--cluster-redis", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard text.hasPrefix("redis://") || text.hasPrefix("unix://") else { return "expected a redis:// or unix:// URL" }
                    config.clusterRedis = text
                    return nil
                }
            },
            // Never the password: config check prints this.
            render: { config, _ in config.clusterRedis.map(Self.redactedRedisURL) }
        ),
        ConfigField(
            path: "cluster.replica_id", summary: "this replica's name in the cluster, unique among them (default: the host name)",
            flag: "--replica-id", isList: false,
            apply: { config, value, _ in
                scalar(value) { text in
                    guard (1...128).contains(text.utf8.count), text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
                        return "expected 1 to 128 letters, digits, '-', '_', '.' or ':'"
                    }
                    config.clusterReplicaID = text
                    return nil
                }
            },
            render: { config, _ in config.clusterReplicaID }
        ),
    ]

    /// A Redis URL with its password, if any, replaced by `***`.
    static func redactedRedisURL(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@") else {
            return url.replacing(#/password=[^&]*/#, with: "password=***")
        }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<url.index(after: colon)]) + "***" + String(url[at...])
    }
}
