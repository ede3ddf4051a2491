/// Where a Redis server listens.
public enum RedisEndpoint: Sendable, Equatable {
    /// A host name or address and a TCP port.
    case tcp(host: String, port: Int)
    /// A Unix domain socket's path.
    case unix(path: String)
}
