import ArbiterCore
import ArbiterRedis
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
                    // Read as the Redis client will read it, so a bad URL stops `config check` too.
                    do throws(RedisError) {
                        _ = try RedisConfiguration(url: text)
                    } catch {
                        return error.message
                    }
                    config.clusterRedis = text
                    return nil
                }
            },
            // Never the password: config check prints this.
            render: { config, _ in config.clusterRedis.map { (try? RedisConfiguration(url: $0))?.redacted ?? "<redacted>" } }
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
}
