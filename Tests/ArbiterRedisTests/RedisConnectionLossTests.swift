@testable import ArbiterRedis
import ArbiterTesting
import Testing

/// A connection the server closed fails the call with a connection error: writing to it raises no
/// SIGPIPE (which would end the process).
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisConnectionLossTests {
    @Test func writingToAConnectionTheServerClosedIsAnErrorNotASignal() async throws {
        try await TestRedis.withClient { server, client in
            let configuration = try TestRedis.configuration(server.url)
            let connection = try RedisConnection.open(configuration)
            let id = try #require(try connection.roundTrip([["CLIENT", "ID"]], timeout: .seconds(1))[0].get().integer)
            #expect(try await client.command(["CLIENT", "KILL", "ID", String(id)]) == .integer(1))
            // Large enough that the writes go on after the server has answered the first with a reset.
            let large = String(repeating: "x", count: 4 << 20)
            let error = #expect(throws: RedisError.self) {
                _ = try connection.roundTrip([["SET", "big", large], ["SET", "big", large]], timeout: .seconds(5))
            }
            #expect(error?.kind == .connection)
            #expect(connection.isBroken)
            #expect(!connection.stillAlive())
        }
    }
}
