import ArbiterRedis
import ArbiterTesting
import Testing

/// Commands against a real redis-server: values come back as they went in, Redis's errors are
/// reported as replies without harming the connection, and pipelines keep their order.
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisClientTests {
    @Test func commandsRoundTrip() async throws {
        try await TestRedis.withClient { _, client in
            #expect(try await client.command(["SET", "counter", "41"]) == .status("OK"))
            #expect(try await client.command(["GET", "counter"]) == .string("41"))
            #expect(try await client.command(["INCR", "counter"]) == .integer(42))
            #expect(try await client.command(["PTTL", "counter"]) == .integer(-1))
            #expect(try await client.command(["EXPIRE", "counter", "60"]) == .integer(1))
            let ttl = try await client.command(["PTTL", "counter"]).integer ?? 0
            #expect(ttl > 50_000 && ttl <= 60_000)
            #expect(try await client.command(["DEL", "counter", "missing"]) == .integer(1))
            #expect(try await client.command(["GET", "counter"]) == .null)
            #expect(try await client.command(["PING"]).string == "PONG")
        }
    }

    @Test func argumentsAreBinarySafe() async throws {
        try await TestRedis.withClient { _, client in
            let key = "a key with spaces\r\nand a newline"
            let value = "line one\r\nline two\n\ttabbed \"quoted\" é ✓ 😀 $5\r\n*3"
            #expect(try await client.command(["SET", key, value]) == .status("OK"))
            #expect(try await client.command(["GET", key]) == .string(value))
            #expect(try await client.command(["STRLEN", key]) == .integer(Int64(value.utf8.count)))
            #expect(try await client.command(["SET", "empty", ""]) == .status("OK"))
            #expect(try await client.command(["GET", "empty"]) == .string(""))
            let listed = try await client.command(["MGET", key, "nothing"])
            #expect(listed == .array([.string(value), .null]))
        }
    }

    @Test func anErrorReplyCarriesRedisMessageAndLeavesTheConnectionUsable() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient(observer: observer) { _, client in
            let unknown = await #expect(throws: RedisError.self) { try await client.command(["NOSUCHCOMMAND", "x"]) }
            #expect(unknown?.kind == .reply)
            #expect(unknown?.message.hasPrefix("ERR unknown command") == true, "\(unknown?.message ?? "")")
            _ = try await client.command(["SET", "word", "abc"])
            let notNumber = await #expect(throws: RedisError.self) { try await client.command(["INCR", "word"]) }
            #expect(notNumber?.message == "ERR value is not an integer or out of range")
            #expect(try await client.command(["GET", "word"]) == .string("abc"))
            #expect(observer.connections == [false])
            #expect(observer.commands.contains(RecordingObserver.Command(name: "nosuchcommand", error: .reply)))
            #expect(observer.commands.contains(RecordingObserver.Command(name: "get", error: nil)))
        }
    }

    @Test func aPipelineAnswersInOrderWithAnErrorInTheMiddle() async throws {
        try await TestRedis.withClient { _, client in
            let results = try await client.pipeline([
                ["SET", "n", "1"], ["INCR", "n"], ["HGET", "n", "field"], ["INCR", "n"], ["GET", "n"],
            ])
            #expect(results.count == 5)
            #expect(try results[0].get() == .status("OK"))
            #expect(try results[1].get() == .integer(2))
            guard case .failure(let error) = results[2] else {
                Issue.record("HGET on a string should fail, got \(results[2])")
                return
            }
            #expect(error.kind == .reply)
            #expect(error.message.hasPrefix("WRONGTYPE"), "\(error.message)")
            #expect(try results[3].get() == .integer(3))
            #expect(try results[4].get() == .string("3"))
            #expect(try await client.pipeline([]).isEmpty)
        }
    }

    @Test func manyConcurrentCommandsShareTheFewConnections() async throws {
        let observer = RecordingObserver()
        // A busy machine may take seconds to get through 100 commands on two connections: the wait for
        // a connection must not be what fails.
        try await TestRedis.withClient(observer: observer, commandTimeout: .seconds(30)) { _, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<100 {
                    group.addTask { _ = try await client.command(["INCR", "hits"]) }
                }
                try await group.waitForAll()
            }
            #expect(try await client.command(["GET", "hits"]) == .string("100"))
            #expect(observer.connections.count <= 2)
        }
    }

    @Test func aClosedClientRefusesCommands() async throws {
        try await TestRedis.withClient { _, client in
            _ = try await client.command(["PING"])
            await client.close()
            let error = await #expect(throws: RedisError.self) { try await client.command(["PING"]) }
            #expect(error?.kind == .closed)
            let pipelined = await #expect(throws: RedisError.self) { try await client.pipeline([["PING"]]) }
            #expect(pipelined?.kind == .closed)
        }
    }
}
