import ArbiterRedis

/// Sends messages on Redis channels (and the writes that go with them) one at a time, in the order
/// they were handed over, off the caller's path: a replica's messages reach the others in the order
/// it made its changes.
final class RedisPublisher: Sendable {
    private struct Message: Sendable {
        let command: [String]
        let sent: (@Sendable () -> Void)?
    }

    private let client: RedisClient
    private let queue: AsyncStream<Message>.Continuation
    private let messages: AsyncStream<Message>

    init(client: RedisClient) {
        self.client = client
        (self.messages, self.queue) = AsyncStream.makeStream()
    }

    /// Queues `payload` for `channel`; `sent` runs once Redis has it (or could not be reached).
    func publish(_ channel: String, _ payload: String, sent: (@Sendable () -> Void)? = nil) {
        self.queue.yield(Message(command: ["PUBLISH", channel, payload], sent: sent))
    }

    /// Queues a write, sent in its turn among the messages.
    func write(_ command: [String]) {
        self.queue.yield(Message(command: command, sent: nil))
    }

    /// Sends what is queued until ``finish()``.
    func run() async {
        for await message in self.messages {
            _ = try? await self.client.command(message.command)
            message.sent?()
        }
    }

    func finish() {
        self.queue.finish()
    }
}
