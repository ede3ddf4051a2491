import ArbiterRedis
import ArbiterTesting
import Testing

/// When Redis goes away or stops answering, commands fail within their bounds, and once it is back
/// they succeed again by themselves.
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisOutageTests {
    @Test func aKilledServerFailsCommandsQuicklyAndTheClientRecovers() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient(observer: observer) { server, client in
            _ = try await client.command(["SET", "k", "v"])
            await server.halt()
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await client.command(["GET", "k"]) }
            // commandTimeout is 1 s: a hang would show as far more.
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(error?.kind == .connection)
            try await server.restart()
            try await Polling.until("the client works again") {
                (try? await client.command(["PING"])) == .status("PONG")
            }
            #expect(try await client.command(["GET", "k"]) == .null)  // a restarted server is empty
            #expect(observer.connections.contains(true))
        }
    }

    @Test func aServerThatStopsAnsweringTimesCommandsOut() async throws {
        try await TestRedis.withClient { server, client in
            _ = try await client.command(["PING"])
            server.freeze()
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await client.command(["PING"]) }
            let waited = ContinuousClock.now - started
            server.thaw()
            #expect(error?.kind == .timeout)
            #expect(waited >= .milliseconds(900) && waited < .seconds(20), "\(waited)")
            try await Polling.until("the client works again") {
                (try? await client.command(["PING"])) == .status("PONG")
            }
        }
    }
}
