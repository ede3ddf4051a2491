import ArbiterCore
import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One hiredis connection, authenticated and on its database.
///
/// hiredis connects (with its connect timeout) and parses replies; the waiting is done here, with
/// `poll()` on the socket against a deadline, so that no call blocks past it. Commands are written
/// here too, with `send(MSG_NOSIGNAL)`: hiredis 0.14 writes with `write()`, which raises SIGPIPE (and
/// ends the process) when Redis has closed the connection. Reads go through `redisBufferRead` only
/// once the socket is readable, so a slow answer never leaves hiredis with a timed-out read, which
/// would break the context for good (0.14 keeps `EAGAIN` on a blocking socket as an I/O error).
///
/// - Important: Not for concurrent use: every call blocks, so callers run them on threads of their
///   own, never on the Swift concurrency pool, and one call at a time.
// Safety (@unchecked Sendable): the context is only used by one thread at a time, as above (the pool
// lends a connection to one command at a time; a subscriber keeps its own); it is freed exactly once,
// in deinit.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    private let configuration: RedisConfiguration
    /// Set when a call gave up or the protocol state is unknown: the connection is done for.
    private var abandoned = false

    private init(context: UnsafeMutablePointer<redisContext>, configuration: RedisConfiguration) {
        self.context = context
        self.configuration = configuration
    }

    deinit {
        redisFree(self.context)
    }

    /// The server, as the URL names it with its password hidden.
    var target: String { self.configuration.redacted }

    /// Connects, waiting at most ``RedisConfiguration/connectTimeout`` (host names are resolved
    /// before that, by the system), then sends `AUTH` and `SELECT` as the configuration asks.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/connection`` naming the server, never the
    ///   password; or ``RedisError/Kind/timeout`` when `AUTH` or `SELECT` is not answered in time.
    static func open(_ configuration: RedisConfiguration) throws(RedisError) -> RedisConnection {
        let target = configuration.redacted
        let timeout = Self.timeValue(configuration.connectTimeout)
        let made: UnsafeMutablePointer<redisContext>? =
            switch configuration.endpoint {
            case .tcp(let host, let port): redisConnectWithTimeout(host, Int32(port), timeout)
            case .unix(let path): redisConnectUnixWithTimeout(path, timeout)
            }
        guard let made else { throw RedisError(kind: .connection, message: "cannot connect to \(target): out of memory") }
        guard made.pointee.err == 0 else {
            let reason = configuration.scrub(Self.errorText(made))
            redisFree(made)
            throw RedisError(kind: .connection, message: "cannot connect to \(target): \(reason)")
        }
        let connection = RedisConnection(context: made, configuration: configuration)
        // Every wait is a poll() with a deadline; the socket timeouts are a second line, should a
        // hiredis call ever block on the socket.
        _ = redisSetTimeout(made, Self.timeValue(configuration.commandTimeout))
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(made.pointee.fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if let password = configuration.password {
            let auth = ["AUTH"] + (configuration.user.map { [$0] } ?? []) + [password]
            try connection.handshake(auth, what: "authentication")
        }
        if configuration.database != 0 {
            try connection.handshake(["SELECT", String(configuration.database)], what: "selecting database \(configuration.database)")
        }
        return connection
    }

    /// Sends one command while connecting; a refusal fails the connection.
    private func handshake(_ command: [String], what: String) throws(RedisError) {
        let reply = try self.roundTrip([command], timeout: self.configuration.commandTimeout)[0]
        if case .failure(let error) = reply {
            self.abandoned = true
            throw RedisError(kind: .connection, message: "cannot connect to \(self.target): \(what) failed: \(self.configuration.scrub(error.message))")
        }
    }

    // MARK: State

    /// Whether the connection is lost or given up: the caller drops it and opens another.
    var isBroken: Bool {
        self.abandoned || self.context.pointee.err != 0
    }

    /// Checks, without waiting, that an idle connection was not closed by the server meanwhile (a
    /// restart closes every connection; nothing notices until the next read).
    /// - Returns: Whether the connection still looks usable. An idle connection has nothing to read
    ///   unless the server closed it (or sent what nobody asked for): either way it is given up.
    func stillAlive() -> Bool {
        guard !self.isBroken else { return false }
        var descriptor = pollfd(fd: self.context.pointee.fd, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) > 0 {
            self.abandoned = true
            return false
        }
        return true
    }

    // MARK: Commands

    /// Sends `commands` at once and reads their replies, all within `timeout`.
    /// - Returns: One result per command, in order: the value, or the error Redis answered with.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/connection`` when the connection is lost, or
    ///   ``RedisError/Kind/timeout`` when the answers did not come in time; the connection is then
    ///   given up.
    func roundTrip(_ commands: [[String]], timeout: Duration) throws(RedisError) -> [Result<RedisValue, RedisError>] {
        let deadline = ContinuousClock.now + timeout
        try self.send(commands, until: deadline)
        var results: [Result<RedisValue, RedisError>] = []
        results.reserveCapacity(commands.count)
        while results.count < commands.count {
            guard let reply = try self.nextReply(until: deadline) else {
                self.abandoned = true
                throw RedisError(kind: .timeout, message: "\(self.target) did not answer within \(timeout); the connection is given up")
            }
            results.append(reply)
        }
        return results
    }

    /// Writes `commands`, waiting for room in the socket's buffer until `deadline`.
    func send(_ commands: [[String]], until deadline: ContinuousClock.Instant) throws(RedisError) {
        try self.checkUsable()
        let bytes = RedisCommandEncoder.encode(commands)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                sendWithoutSignal(self.context.pointee.fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if sent >= 0 {
                offset += sent
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                guard try self.wait(for: Int16(POLLOUT), until: deadline) else {
                    self.abandoned = true
                    throw RedisError(kind: .timeout, message: "\(self.target) read nothing sent to it within the command timeout; the connection is given up")
                }
            default:
                throw self.lost(String(cString: strerror(errno)))
            }
        }
    }

    /// The next reply, reading from the socket as it becomes readable until `deadline`.
    /// - Returns: The reply (a value, or the error Redis answered with); `nil` when none was complete by
    ///   the deadline. A reply half read stays with hiredis's reader, to be finished by the next call.
    /// - Throws: ``RedisError`` of kind ``RedisError/Kind/connection`` when the connection is lost or
    ///   the server sent what is not RESP.
    func nextReply(until deadline: ContinuousClock.Instant) throws(RedisError) -> Result<RedisValue, RedisError>? {
        try self.checkUsable()
        while true {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReplyFromReader(self.context, &reply) == REDIS_OK else {
                throw self.lost("unreadable reply: \(Self.errorText(self.context))")
            }
            if let reply {
                defer { freeReplyObject(reply) }
                return RedisValue.from(reply.assumingMemoryBound(to: redisReply.self))
            }
            guard try self.wait(for: Int16(POLLIN), until: deadline) else { return nil }
            guard redisBufferRead(self.context) == REDIS_OK else {
                throw self.lost(Self.errorText(self.context))
            }
        }
    }

    // MARK: Helpers

    /// Waits until the socket is ready for `events` (or has failed: the next read or write tells).
    /// - Returns: `false` when `deadline` passed first.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(RedisError) -> Bool {
        while true {
            let remaining = deadline - ContinuousClock.now
            // Once the deadline has passed, the socket is still looked at once, without waiting.
            let milliseconds = remaining > .zero ? Int32(clamping: remaining.wholeMilliseconds + 1) : 0
            var descriptor = pollfd(fd: self.context.pointee.fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return true }
            if ready == 0 {
                if milliseconds == 0 { return false }
                continue
            }
            if errno != EINTR { throw self.lost("poll: \(String(cString: strerror(errno)))") }
        }
    }

    private func checkUsable() throws(RedisError) {
        guard !self.isBroken else {
            throw RedisError(kind: .connection, message: "the connection to \(self.target) is lost")
        }
    }

    private func lost(_ reason: String) -> RedisError {
        self.abandoned = true
        return RedisError(kind: .connection, message: "the connection to \(self.target) is lost: \(self.configuration.scrub(reason))")
    }

    /// The context's error text (hiredis keeps up to 127 bytes of it).
    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        let text = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "no message (hiredis error \(context.pointee.err))" : text
    }

    /// `duration` (at least a millisecond) as the `timeval` hiredis takes timeouts in.
    private static func timeValue(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = max(duration, .milliseconds(1)).components
        return timeval(tv_sec: time_t(clamping: seconds), tv_usec: numericCast(attoseconds / 1_000_000_000_000))
    }
}

// At file scope, where the method named `send` does not hide the C function.

/// `send(2)` that never blocks and never raises SIGPIPE (on Darwin the socket carries SO_NOSIGPIPE).
private func sendWithoutSignal(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    return send(descriptor, bytes, count, MSG_DONTWAIT)
    #else
    return send(descriptor, bytes, count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
    #endif
}
