import ArbiterRedis
import ArbiterTesting

/// Clients for the tests, each on a server of its own.
enum TestRedis {
    /// A configuration for `url` with short waits, so that failures show quickly.
    static func configuration(_ url: String, commandTimeout: Duration = .seconds(1)) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url)
        configuration.connectTimeout = .seconds(1)
        configuration.commandTimeout = commandTimeout
        configuration.reconnectDelay = .milliseconds(50)
        configuration.maxReconnectDelay = .milliseconds(400)
        return configuration
    }

    /// Runs `body` with a fresh server and a client on it, and closes both after.
    static func withClient<T>(
        password: String? = nil, observer: RecordingObserver = RecordingObserver(), commandTimeout: Duration = .seconds(1),
        _ body: (RedisServer, RedisClient) async throws -> T
    ) async throws -> T {
        let server = try await RedisServer.start(password: password)
        let client = RedisClient(configuration: try self.configuration(server.url, commandTimeout: commandTimeout), observer: observer)
        do {
            let result = try await body(server, client)
            await client.close()
            await server.stop()
            return result
        } catch {
            await client.close()
            await server.stop()
            throw error
        }
    }
}
