import ArbiterRedis
import ArbiterTesting
import Testing

/// How connections are made: the password, the database and the Unix socket the URL names.
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisConnectionTests {
    @Test func theRightPasswordIsAcceptedAndAWrongOneRefusedWithoutShowingIt() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient(password: "s3cret-pw", observer: observer) { server, client in
            #expect(try await client.command(["PING"]) == .status("PONG"))

            let wrongURL = "redis://:wrong-pw-123@127.0.0.1:\(server.port)"
            let wrongObserver = RecordingObserver()
            let wrong = RedisClient(configuration: try TestRedis.configuration(wrongURL), observer: wrongObserver)
            let error = await #expect(throws: RedisError.self) { try await wrong.command(["PING"]) }
            await wrong.close()
            #expect(error?.kind == .connection)
            let text = error.map(String.init(describing:)) ?? ""
            #expect(text.contains("authentication failed"), "\(text)")
            #expect(text.contains("WRONGPASS"), "\(text)")
            #expect(text.contains("redis://:***@127.0.0.1:\(server.port)"), "\(text)")
            #expect(!text.contains("wrong-pw-123"), "\(text)")
            #expect(wrongObserver.failures.count == 1)
            #expect(wrongObserver.failures.allSatisfy { !$0.message.contains("wrong-pw-123") })

            let anonymous = RedisClient(configuration: try TestRedis.configuration("redis://127.0.0.1:\(server.port)"))
            let refused = await #expect(throws: RedisError.self) { try await anonymous.command(["GET", "x"]) }
            await anonymous.close()
            #expect(refused?.kind == .reply)
            #expect(refused?.message.hasPrefix("NOAUTH") == true, "\(refused?.message ?? "")")
        }
    }

    @Test func theDatabaseInThePathIsSelected() async throws {
        try await TestRedis.withClient(password: "pw-for-db") { server, client in
            let third = RedisClient(configuration: try TestRedis.configuration(server.url(database: 3)))
            #expect(try await third.command(["SET", "where", "db3"]) == .status("OK"))
            #expect(try await third.command(["GET", "where"]) == .string("db3"))
            #expect(try await third.command(["DBSIZE"]) == .integer(1))
            await third.close()
            #expect(try await client.command(["GET", "where"]) == .null)
            #expect(try await client.command(["DBSIZE"]) == .integer(0))
        }
    }

    @Test func aDatabaseRedisDoesNotHaveFailsTheConnection() async throws {
        try await TestRedis.withClient { server, _ in
            let client = RedisClient(configuration: try TestRedis.configuration(server.url(database: 99)))
            let error = await #expect(throws: RedisError.self) { try await client.command(["PING"]) }
            await client.close()
            #expect(error?.kind == .connection)
            #expect(error?.message.contains("selecting database 99 failed") == true, "\(error?.message ?? "")")
        }
    }

    @Test func theUnixSocketWorks() async throws {
        try await TestRedis.withClient(password: "socket-pw") { server, client in
            let local = RedisClient(configuration: try TestRedis.configuration(server.unixSocketURL + "&db=2"))
            #expect(try await local.command(["SET", "via", "socket"]) == .status("OK"))
            #expect(try await local.command(["CLIENT", "INFO"]).string?.contains("db=2") == true)
            await local.close()
            let overTCP = RedisClient(configuration: try TestRedis.configuration(server.url(database: 2)))
            #expect(try await overTCP.command(["GET", "via"]) == .string("socket"))
            await overTCP.close()
            #expect(try await client.command(["GET", "via"]) == .null)
        }
    }

    @Test func nothingListeningIsAConnectionErrorAtOnce() async throws {
        let port = try FreePort.next()
        let observer = RecordingObserver()
        var configuration = try TestRedis.configuration("redis://:hunter2@127.0.0.1:\(port)")
        // Long enough that the second call certainly comes during the backoff, and that a call that
        // waited it out stands apart from two refusals on a loaded machine (one took 21 s in CI).
        configuration.reconnectDelay = .seconds(120)
        configuration.maxReconnectDelay = .seconds(120)
        let client = RedisClient(configuration: configuration, observer: observer)
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await client.command(["PING"]) }
        // During the backoff the next call does not even try.
        let again = await #expect(throws: RedisError.self) { try await client.command(["PING"]) }
        await client.close()
        // Refused at once; a call that waited out the 120 s backoff would take far longer.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(error?.kind == .connection)
        #expect(again?.kind == .connection)
        #expect(again?.message.contains("next attempt") == true, "\(again?.message ?? "")")
        for failure in [error, again].compactMap({ $0 }) {
            #expect(!failure.description.contains("hunter2"), "\(failure)")
        }
        #expect(observer.failures.count == 1)
    }
}
