import NIOPosix
import Synchronization

/// A Redis client: commands, pipelines and Lua scripts over a small pool of hiredis connections.
///
/// hiredis calls run on a thread pool of the client's own (one thread per connection), never on the
/// Swift concurrency pool. Every wait is bounded: for a free connection and then for the answer by
/// ``RedisConfiguration/commandTimeout``, for a new connection by
/// ``RedisConfiguration/connectTimeout``. A lost connection is replaced when its slot is next used;
/// after a failed attempt to connect, commands fail at once with ``RedisError/Kind/connection`` until
/// the backoff has passed, and service resumes by itself once Redis is back.
///
/// - Important: Call ``close()`` before dropping the client; it stops its threads.
public final class RedisClient: Sendable {
    private let configuration: RedisConfiguration
    private let pool: RedisConnectionPool
    private let threads: NIOThreadPool
    private let observer: any RedisObserver
    private let closed = Atomic(false)

    /// Prepares the client; connections are opened as commands need them.
    /// - Parameters:
    ///   - configuration: Where Redis is and how the connections behave.
    ///   - observer: Told what the connections do, for metrics.
    public init(configuration: RedisConfiguration, observer: any RedisObserver = NoRedisObserver()) {
        self.configuration = configuration
        self.observer = observer
        self.pool = RedisConnectionPool(configuration: configuration, observer: observer)
        self.threads = NIOThreadPool(numberOfThreads: max(configuration.poolSize, 1))
        self.threads.start()
    }

    /// Runs one command on a pooled connection.
    /// - Parameter arguments: The command and its arguments (`["SET", key, value, "PX", "5000"]`),
    ///   each sent as it is: spaces, newlines and any other text included.
    /// - Returns: Redis's reply.
    /// - Throws: ``RedisError``: ``RedisError/Kind/reply`` with Redis's message for an error reply
    ///   (the connection stays usable); ``RedisError/Kind/connection`` when Redis cannot be reached or
    ///   the connection was lost (the next call connects again); ``RedisError/Kind/timeout``;
    ///   ``RedisError/Kind/closed``.
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisValue {
        guard !arguments.isEmpty else { throw RedisError(kind: .configuration, message: "a command needs at least its name") }
        return try await self.pipeline([arguments])[0].get()
    }

    /// Runs several commands in one round trip, on one connection.
    /// - Parameter commands: The commands, as for ``command(_:)``.
    /// - Returns: One result per command, in order. An error reply fails only its own command.
    /// - Throws: ``RedisError`` when no result could be had: the connection was lost or did not answer
    ///   in time (some of the commands may have run), Redis cannot be reached, or the client is closed.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [Result<RedisValue, RedisError>] {
        guard !commands.isEmpty else { return [] }
        guard commands.allSatisfy({ !$0.isEmpty }) else {
            throw RedisError(kind: .configuration, message: "every command of a pipeline needs at least its name")
        }
        let started = ContinuousClock.now
        let timeout = self.configuration.commandTimeout
        do throws(RedisError) {
            let results = try await self.withConnection { connection throws(RedisError) in
                try connection.roundTrip(commands, timeout: timeout)
            }
            let duration = ContinuousClock.now - started
            for (command, result) in zip(commands, results) {
                self.observer.command(Self.name(command), duration: duration, error: result.failureKind)
            }
            return results
        } catch {
            let duration = ContinuousClock.now - started
            for command in commands { self.observer.command(Self.name(command), duration: duration, error: error.kind) }
            throw error
        }
    }

    /// Runs a Lua script by its SHA-1 (`EVALSHA`). When Redis does not have it (the first run, or after
    /// a restart or `SCRIPT FLUSH`) the script is loaded (`SCRIPT LOAD`) and run again, once, on the
    /// same connection.
    /// - Parameters:
    ///   - script: The script.
    ///   - keys: `KEYS` in the script.
    ///   - arguments: `ARGV` in the script.
    /// - Returns: What the script returned.
    /// - Throws: ``RedisError`` as ``command(_:)`` does; an error the script raised is a
    ///   ``RedisError/Kind/reply``.
    public func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws(RedisError) -> RedisValue {
        let evalsha = ["EVALSHA", script.sha1, String(keys.count)] + keys + arguments
        let started = ContinuousClock.now
        let timeout = self.configuration.commandTimeout
        let observer = self.observer
        do throws(RedisError) {
            let value = try await self.withConnection { connection throws(RedisError) in
                let first = try connection.roundTrip([evalsha], timeout: timeout)[0]
                guard case .failure(let error) = first, error.isNoScript else { return first }
                observer.command("evalsha", duration: ContinuousClock.now - started, error: .reply)
                let load = try connection.roundTrip([["SCRIPT", "LOAD", script.source]], timeout: timeout)[0]
                observer.command("script", duration: ContinuousClock.now - started, error: load.failureKind)
                if case .failure = load { return load }
                return try connection.roundTrip([evalsha], timeout: timeout)[0]
            }.get()
            observer.command("evalsha", duration: ContinuousClock.now - started, error: nil)
            return value
        } catch {
            observer.command("evalsha", duration: ContinuousClock.now - started, error: error.kind)
            throw error
        }
    }

    /// Stops the threads and closes the connections, once the commands under way have ended (each
    /// within its timeouts). Later calls throw ``RedisError/Kind/closed``.
    public func close() async {
        guard !self.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.pool.close()
        try? await self.threads.shutdownGracefully()
    }

    // MARK: Helpers

    /// Runs `body` on a borrowed connection, on one of the client's threads.
    private func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        guard !self.closed.load(ordering: .acquiring) else { throw RedisConnectionPool.closedError() }
        let slot = try await self.pool.acquire()
        defer { self.pool.release(slot) }
        do {
            return try await self.threads.runIfActive { [pool] in
                try body(try pool.connection(for: slot))
            }
        } catch let error as RedisError {
            throw error
        } catch {
            // The only other failure: the threads were stopped, by close().
            throw RedisConnectionPool.closedError()
        }
    }

    /// What the observer calls a command: its first word, in lower case.
    static func name(_ command: [String]) -> String {
        command.first?.lowercased() ?? ""
    }
}

extension Result where Failure == RedisError {
    /// The kind of the failure; `nil` on success.
    fileprivate var failureKind: RedisError.Kind? {
        guard case .failure(let error) = self else { return nil }
        return error.kind
    }
}
