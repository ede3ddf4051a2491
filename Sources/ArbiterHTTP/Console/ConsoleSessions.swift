import ArbiterCore
import ArbiterJobs
import ArbiterMetrics
import Synchronization

/// The console's signed-in sessions, in this process's memory. A session keeps the credential it
/// was opened with on the server (the browser holds only a random id in an HttpOnly cookie), so every
/// request checks that credential again: a revoked token or an expired JWT ends the session at its
/// next request. A session also ends after `lifetime`, after `idle` without a request, and at sign-out.
public final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        let id: String
        let credential: String
        /// Sent back with every form that changes something (the CSRF token).
        let csrf: String
        /// When it opened and was last used, on the clock's monotonic scale (ms).
        let opened: Int64
        var lastSeen: Int64
    }

    /// How long a session lasts at most, and without a request.
    public let lifetime: Duration
    public let idle: Duration
    /// The most sessions kept: beyond it the one idle longest is ended.
    let capacity: Int
    private let clock: any TimeSource
    private let sessions = Mutex<[String: Session]>([:])
    private let open: Gauge
    let signIns: CounterFamily
    let actions: CounterFamily

    public init(
        registry: MetricRegistry, clock: any TimeSource = SystemClock(), lifetime: Duration = .seconds(12 * 3600), idle: Duration = .seconds(3600),
        capacity: Int = 10_000
    ) throws {
        self.clock = clock
        self.lifetime = lifetime
        self.idle = idle
        self.capacity = capacity
        self.open = try registry.gauge("arbiter_console_sessions", help: "Console sessions signed in now.")
        self.signIns = try registry.counterFamily(
            "arbiter_console_sign_ins_total", help: "Console sign-ins, by result (success, failure).", labelNames: ["result"])
        self.actions = try registry.counterFamily(
            "arbiter_console_actions_total", help: "Changes made from the console, by action and result (success, failed).",
            labelNames: ["action", "result"])
        for result in ["success", "failure"] { _ = try self.signIns.labels(result) }
    }

    /// Opens a session for `credential`, which has just been verified.
    func open(credential: String) -> Session {
        let now = self.clock.monotonicMilliseconds()
        let session = Session(id: Self.randomID(), credential: credential, csrf: Self.randomID(), opened: now, lastSeen: now)
        let count = self.sessions.withLock { sessions in
            sessions = sessions.filter { self.isLive($0.value, at: now) }
            if sessions.count >= self.capacity, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                sessions[oldest.id] = nil
            }
            sessions[session.id] = session
            return sessions.count
        }
        self.open.set(Double(count))
        return session
    }

    /// The live session with this id, marked as seen now.
    func session(id: String) -> Session? {
        let now = self.clock.monotonicMilliseconds()
        return self.sessions.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard self.isLive(session, at: now) else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return session
        }
    }

    func end(id: String) {
        let count = self.sessions.withLock { sessions in
            sessions[id] = nil
            return sessions.count
        }
        self.open.set(Double(count))
    }

    func count(_ action: String, _ result: String) {
        try? self.actions.labels(action, result).increment()
    }

    private func isLive(_ session: Session, at now: Int64) -> Bool {
        now - session.opened < self.lifetime.wholeMilliseconds && now - session.lastSeen < self.idle.wholeMilliseconds
    }

    /// 32 random bytes, base64url.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
