import ArbiterCore
import ArbiterJobs
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The connection that listens on the queued-work channel, on a thread of its own: it waits on the
/// socket with `poll()` (a quarter of a second at a time, so it can be stopped), reads notifications and
/// calls the handlers with the types they name (`nil`: any type). A lost connection is replaced, with
/// backoff, and `LISTEN` is sent again; every time listening starts the handlers are called with `nil`,
/// because work announced while nobody listened was missed.
final class PostgresListener: Sendable {
    private let configuration: PostgresConfiguration
    private let observer: any PostgresObserver
    private let handlers = Listeners<Set<String>?>()
    private let started = Atomic(false)
    private let stopped = Atomic(false)
    private let thread = NIOThreadPool(numberOfThreads: 1)
    /// How long the connection may stay silent before it is asked a question, to notice a server that
    /// went away without closing it.
    private static let silenceCheck = Duration.seconds(30)

    init(configuration: PostgresConfiguration, observer: any PostgresObserver) {
        // Listening runs no statement that could take long; the timeout only bounds the silence check.
        var configuration = configuration
        configuration.statementTimeout = nil
        self.configuration = configuration
        self.observer = observer
    }

    /// Adds a handler, and starts listening on the first.
    func add(_ handler: @escaping @Sendable (Set<String>?) -> Void) {
        self.handlers.add(handler)
        guard !self.started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.thread.start()
        self.thread.submit { state in
            guard case .active = state else { return }
            self.listen()
        }
    }

    /// Stops listening and closes the connection.
    func stop() async throws {
        self.stopped.store(true, ordering: .releasing)
        guard self.started.load(ordering: .acquiring) else { return }
        try await self.thread.shutdownGracefully()
    }

    private var isStopped: Bool { self.stopped.load(ordering: .acquiring) }

    private func listen() {
        var connection: PostgresConnection?
        var failures = 0
        var lastHeard = ContinuousClock.now
        while !self.isStopped {
            guard let listening = connection else {
                do throws(PostgresError) {
                    let opened = try PostgresConnection(self.configuration, isCancelled: { self.isStopped })
                    try opened.execute("LISTEN \(QueuedChannel.name)")
                    connection = opened
                    failures = 0
                    lastHeard = ContinuousClock.now
                    self.observer.listening()
                    self.deliver(types: nil)
                } catch {
                    failures += 1
                    self.observer.connectFailed(error)
                    self.sleep(PostgresConnectionPool.backoff(failures: failures, self.configuration))
                }
                continue
            }
            do throws(PostgresError) {
                let received = try listening.notifications(waitingUpTo: .milliseconds(250))
                let now = ContinuousClock.now
                if !received.isEmpty {
                    lastHeard = now
                    self.deliver(payloads: received.filter { $0.channel == QueuedChannel.name }.map(\.payload))
                } else if now - lastHeard > Self.silenceCheck {
                    try listening.execute("SELECT 1")
                    lastHeard = now
                }
            } catch {
                self.observer.queryFailed(error)
                connection = nil
            }
        }
    }

    /// Calls the handlers once for a batch of payloads: with every type they name, or `nil` if one says any.
    private func deliver(payloads: [String]) {
        guard !payloads.isEmpty else { return }
        var types: Set<String>? = []
        for payload in payloads {
            guard let named = QueuedChannel.types(in: payload) else {
                types = nil
                break
            }
            types?.formUnion(named)
        }
        self.deliver(types: types)
    }

    private func deliver(types: Set<String>?) {
        self.handlers.call(types)
    }

    /// Sleeps on the listener's thread, waking early when stopped.
    private func sleep(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !self.isStopped, ContinuousClock.now < deadline {
            let slice = min(deadline - ContinuousClock.now, .milliseconds(50))
            usleep(useconds_t(max(slice.wholeMilliseconds, 1) * 1000))
        }
    }
}
