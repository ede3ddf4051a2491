import ArbiterRedis
import ArbiterTesting
import Testing

/// Scripts run by their SHA-1 and are loaded whenever Redis does not have them.
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisScriptTests {
    static let add = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")

    @Test func aScriptIsLoadedWhenMissingAndAgainAfterARestart() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient(observer: observer) { server, client in
            let sha = Self.add.sha1
            #expect(try await client.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(0)]))
            #expect(try await client.run(Self.add, keys: ["total"], arguments: ["5"]) == .integer(5))
            #expect(try await client.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]))
            // The first EVALSHA was answered NOSCRIPT, and the script loaded.
            #expect(observer.commands.filter { $0 == RecordingObserver.Command(name: "evalsha", error: .reply) }.count == 1)
            #expect(try await client.run(Self.add, keys: ["total"], arguments: ["2"]) == .integer(7))

            try await server.restart()
            #expect(try await client.command(["SCRIPT", "EXISTS", sha]) == .array([.integer(0)]))
            try await Polling.until("the script runs again") {
                (try? await client.run(Self.add, keys: ["total"], arguments: ["3"])) == .integer(3)
            }
            #expect(observer.connections.contains(true))
            #expect(observer.commands.filter { $0 == RecordingObserver.Command(name: "evalsha", error: .reply) }.count == 2)
        }
    }

    @Test func anErrorTheScriptRaisesIsAReply() async throws {
        try await TestRedis.withClient { _, client in
            let failing = RedisScript("return redis.error_reply('LEASE_LOST held by ' .. ARGV[1])")
            let error = await #expect(throws: RedisError.self) { try await client.run(failing, keys: [], arguments: ["node-2"]) }
            #expect(error?.kind == .reply)
            #expect(error?.message.hasPrefix("LEASE_LOST held by node-2") == true, "\(error?.message ?? "")")
            let broken = RedisScript("this is not lua")
            let syntax = await #expect(throws: RedisError.self) { try await client.run(broken, keys: [], arguments: []) }
            #expect(syntax?.kind == .reply)
            let table = try await client.run(RedisScript("return {1, 'two', false}"), keys: [], arguments: [])
            #expect(table == .array([.integer(1), .string("two"), .null]))
        }
    }
}
