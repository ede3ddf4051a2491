import ArbiterCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives what is published on a few channels, on a connection and a thread of its own.
///
/// The thread subscribes (`SUBSCRIBE`), then waits for messages in slices of a quarter second, to
/// notice ``stop()``. A lost connection is replaced, with backoff, and the channels subscribed again;
/// every time a subscription (re)starts the handler gets ``Event/subscribed``, because what was
/// published while nobody listened was missed: the caller repairs from its store. A connection that
/// stays silent is asked a `PING`, so a server that went away without closing it is noticed too.
///
/// - Important: Call ``stop()`` before dropping the subscriber; it ends its thread.
public final class RedisSubscriber: Sendable {
    /// What the handler is told.
    public enum Event: Sendable, Equatable {
        /// Subscribed: at first, and again after a lost connection (messages published meanwhile were missed).
        case subscribed
        /// A message published on one of the channels.
        case message(channel: String, payload: String)
    }

    private enum Phase {
        case idle, running, stopped
    }

    private let configuration: RedisConfiguration
    private let channels: [String]
    private let observer: any RedisObserver
    private let handler: @Sendable (Event) -> Void
    private let phase = Mutex(Phase.idle)
    private let stopping = Atomic(false)
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// How long the thread waits for a message before it looks whether it should stop.
    static let slice = Duration.milliseconds(250)
    /// How long the connection may stay silent before it is asked a `PING`.
    static let silenceCheck = Duration.seconds(15)

    /// Prepares the subscriber; ``start()`` connects.
    /// - Parameters:
    ///   - configuration: Where Redis is; the command timeout bounds the `SUBSCRIBE` and the `PING`.
    ///   - channels: The channels (at least one; with none, the subscriber does nothing).
    ///   - observer: Told of the connections made and the attempts that failed.
    ///   - handler: Called on the subscriber's thread for each event, in order; it must not block long:
    ///     messages wait meanwhile.
    public init(
        configuration: RedisConfiguration, channels: [String], observer: any RedisObserver = NoRedisObserver(),
        handler: @escaping @Sendable (Event) -> Void
    ) {
        self.configuration = configuration
        self.channels = channels
        self.observer = observer
        self.handler = handler
    }

    /// Starts the thread, which connects and subscribes. Again, or after ``stop()``, does nothing.
    public func start() {
        self.phase.withLock { phase in
            guard case .idle = phase, !self.channels.isEmpty else { return }
            phase = .running
            self.thread.start()
            self.thread.submit { state in
                guard case .active = state else { return }
                self.listen()
            }
        }
    }

    /// Stops listening and closes the connection; returns once the thread has ended (within about a
    /// quarter second, or the connect timeout if a connection attempt is under way).
    public func stop() async {
        self.stopping.store(true, ordering: .releasing)
        let wasRunning = self.phase.withLock { phase in
            defer { phase = .stopped }
            guard case .running = phase else { return false }
            return true
        }
        guard wasRunning else { return }
        try? await self.thread.shutdownGracefully()
    }

    private var isStopping: Bool { self.stopping.load(ordering: .acquiring) }

    // MARK: The thread

    private func listen() {
        var connection: RedisConnection?
        var backoff = ReconnectBackoff(self.configuration)
        var everSubscribed = false
        var lastHeard = ContinuousClock.now
        var pingSent: ContinuousClock.Instant?
        while !self.isStopping {
            guard let subscribed = connection else {
                if let wait = backoff.remaining(at: .now) {
                    self.sleep(wait)
                    continue
                }
                do throws(RedisError) {
                    let (opened, early) = try self.subscribe()
                    connection = opened
                    backoff.succeeded()
                    self.observer.connected(replacing: everSubscribed)
                    everSubscribed = true
                    lastHeard = .now
                    pingSent = nil
                    self.handler(.subscribed)
                    for event in early { self.handler(event) }
                } catch {
                    backoff.failed(error, at: .now)
                    self.observer.connectFailed(error)
                }
                continue
            }
            do throws(RedisError) {
                let replies = try self.replies(on: subscribed, waitingUpTo: Self.slice)
                let now = ContinuousClock.now
                guard replies.isEmpty else {
                    lastHeard = now
                    pingSent = nil
                    for reply in replies {
                        if let event = Self.event(reply) { self.handler(event) }
                    }
                    continue
                }
                if let pingSent {
                    guard now - pingSent < self.configuration.commandTimeout else {
                        throw RedisError(kind: .timeout, message: "\(self.configuration.redacted) did not answer a PING within \(self.configuration.commandTimeout)")
                    }
                } else if now - lastHeard > Self.silenceCheck {
                    try subscribed.send([["PING"]], until: now + self.configuration.commandTimeout)
                    pingSent = now
                }
            } catch {
                // Lost: the next turn connects again (and says so with `connected(replacing: true)`).
                connection = nil
            }
        }
    }

    /// Connects and subscribes to every channel.
    /// - Returns: The connection, and the messages that came before every subscription was confirmed.
    private func subscribe() throws(RedisError) -> (RedisConnection, [Event]) {
        let connection = try RedisConnection.open(self.configuration)
        let deadline = ContinuousClock.now + self.configuration.commandTimeout
        try connection.send([["SUBSCRIBE"] + self.channels], until: deadline)
        var pending = Set(self.channels)
        var early: [Event] = []
        while !pending.isEmpty {
            guard let reply = try connection.nextReply(until: deadline) else {
                throw RedisError(kind: .timeout, message: "\(connection.target) did not confirm SUBSCRIBE within \(self.configuration.commandTimeout)")
            }
            let value = try reply.get()
            if let elements = value.array, elements.count == 3, elements[0].string == "subscribe", let channel = elements[1].string {
                pending.remove(channel)
            } else if let event = Self.event(.success(value)) {
                early.append(event)
            }
        }
        return (connection, early)
    }

    /// Every reply that arrives within `wait` (none when nothing does).
    private func replies(on connection: RedisConnection, waitingUpTo wait: Duration) throws(RedisError) -> [Result<RedisValue, RedisError>] {
        guard let first = try connection.nextReply(until: .now + wait) else { return [] }
        var replies = [first]
        // Whatever else already arrived, without waiting.
        while let next = try connection.nextReply(until: .now) { replies.append(next) }
        return replies
    }

    /// The event a reply carries: a message (`["message", channel, payload]`); `nil` for anything else
    /// (subscription confirmations, `PING`'s `["pong", ""]`).
    static func event(_ reply: Result<RedisValue, RedisError>) -> Event? {
        guard case .success(let value) = reply, let elements = value.array, elements.count == 3, elements[0].string == "message",
            let channel = elements[1].string, let payload = elements[2].string
        else { return nil }
        return .message(channel: channel, payload: payload)
    }

    /// Sleeps on the subscriber's thread, waking early when stopped.
    private func sleep(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !self.isStopping, ContinuousClock.now < deadline {
            let slice = min(deadline - ContinuousClock.now, .milliseconds(50))
            usleep(useconds_t(max(slice.wholeMilliseconds, 1) * 1000))
        }
    }
}
