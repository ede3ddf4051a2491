import ArbiterRedis
import ArbiterTesting
import Synchronization
import Testing

/// A subscriber hears what is published, in order, subscribes again after losing its connection, and
/// stops promptly whatever state Redis is in.
@Suite(.enabled(if: ExternalTool.redisServer.shouldRun)) struct RedisSubscriberTests {
    /// The events a subscriber delivered.
    final class EventLog: Sendable {
        private let events = Mutex<[RedisSubscriber.Event]>([])
        func append(_ event: RedisSubscriber.Event) { self.events.withLock { $0.append(event) } }
        var all: [RedisSubscriber.Event] { self.events.withLock { $0 } }
        var subscriptions: Int { self.all.filter { $0 == .subscribed }.count }
        var messages: [RedisSubscriber.Event] { self.all.filter { $0 != .subscribed } }
    }

    private static func subscriber(
        _ server: RedisServer, channels: [String], observer: RecordingObserver = RecordingObserver()
    ) throws -> (RedisSubscriber, EventLog) {
        let log = EventLog()
        let subscriber = RedisSubscriber(
            configuration: try TestRedis.configuration(server.url), channels: channels, observer: observer, handler: log.append)
        return (subscriber, log)
    }

    @Test func messagesArriveInOrder() async throws {
        try await TestRedis.withClient(password: "sub-pw") { server, client in
            let (subscriber, log) = try Self.subscriber(server, channels: ["jobs", "workers"])
            subscriber.start()
            try await Polling.until("subscribed") { log.subscriptions == 1 }
            var expected: [RedisSubscriber.Event] = []
            for index in 0..<50 {
                let channel = index.isMultiple(of: 3) ? "workers" : "jobs"
                let payload = "payload \(index) with spaces\nand lines é"
                #expect(try await client.command(["PUBLISH", channel, payload]) == .integer(1))
                expected.append(.message(channel: channel, payload: payload))
            }
            _ = try await client.command(["PUBLISH", "elsewhere", "not for us"])
            try await Polling.until("every message arrived") { log.messages.count >= expected.count }
            await subscriber.stop()
            #expect(log.all == [.subscribed] + expected)
        }
    }

    @Test func afterARestartItSubscribesAgain() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient { server, client in
            let (subscriber, log) = try Self.subscriber(server, channels: ["leases"], observer: observer)
            subscriber.start()
            try await Polling.until("subscribed") { log.subscriptions == 1 }
            _ = try await client.command(["PUBLISH", "leases", "before"])
            try await Polling.until("the first message arrived") { log.messages.count == 1 }

            try await server.restart()
            try await Polling.until("subscribed again") { log.subscriptions == 2 }
            try await Polling.until("the message after the restart arrived") {
                _ = try? await client.command(["PUBLISH", "leases", "after"])
                return log.messages.contains(.message(channel: "leases", payload: "after"))
            }
            await subscriber.stop()
            #expect(log.all.prefix(3) == [.subscribed, .message(channel: "leases", payload: "before"), .subscribed])
            #expect(observer.connections.first == false)
            #expect(observer.connections.dropFirst().allSatisfy { $0 })
        }
    }

    @Test func stopReturnsPromptlyWhileRedisIsDown() async throws {
        let observer = RecordingObserver()
        try await TestRedis.withClient { server, _ in
            let (subscriber, log) = try Self.subscriber(server, channels: ["presence"], observer: observer)
            subscriber.start()
            try await Polling.until("subscribed") { log.subscriptions == 1 }
            await server.halt()
            try await Polling.until("a reconnection failed") { !observer.failures.isEmpty }
            let started = ContinuousClock.now
            await subscriber.stop()
            // Its thread wakes every 250 ms; a stop that hung on the dead server would never return.
            #expect(ContinuousClock.now - started < .seconds(15))
            #expect(log.subscriptions == 1)
        }
    }

    @Test func stopReturnsPromptlyWhileRedisIsSilent() async throws {
        try await TestRedis.withClient { server, _ in
            let (subscriber, log) = try Self.subscriber(server, channels: ["presence"])
            subscriber.start()
            try await Polling.until("subscribed") { log.subscriptions == 1 }
            server.freeze()
            let started = ContinuousClock.now
            await subscriber.stop()
            let waited = ContinuousClock.now - started
            server.thaw()
            #expect(waited < .seconds(15))
        }
    }

    @Test func stoppingBeforeStartingIsFinal() async throws {
        try await TestRedis.withClient { server, client in
            let (subscriber, log) = try Self.subscriber(server, channels: ["x"])
            await subscriber.stop()
            subscriber.start()
            await subscriber.stop()
            #expect(try await client.command(["PUBSUB", "NUMSUB", "x"]) == .array([.string("x"), .integer(0)]))
            #expect(log.all.isEmpty)
        }
    }
}
