import ArbiterCore
import Synchronization

/// A clock that moves only when a test moves it: readings stay put between calls to
/// ``advance(by:)``, and a task sleeping on it wakes when an advance reaches its deadline. A test
/// drives anything that takes a ``TimeSource`` (the scheduler, its loops, rate limits, breakers,
/// lockouts) through exact instants instead of sleeping and hoping.
///
/// - Important: Nothing wakes a sleeper but ``advance(by:)`` (or cancellation). Before advancing
///   past a loop's deadline, wait with ``waitForSleepers(_:)`` until the loop is asleep, so the
///   advance is not missed.
public final class ManualClock: TimeSource {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var wall: Int64
        var monotonic: Int64
        var sleepers: [UInt64: Sleeper] = [:]
        var nextSleeper: UInt64 = 0
        /// Tasks waiting for sleepers.
        var watchers: [(awaited: Awaited, continuation: CheckedContinuation<Void, Never>)] = []

        func holds(_ awaited: Awaited) -> Bool {
            switch awaited {
            case .count(let count): self.sleepers.count >= count
            case .deadline(let deadline): self.sleepers.values.contains { $0.deadline == deadline }
            }
        }

        /// Takes the watchers whose wait is over.
        mutating func satisfiedWatchers() -> [CheckedContinuation<Void, Never>] {
            guard !self.watchers.isEmpty else { return [] }
            let (done, waiting) = (self.watchers.filter { self.holds($0.awaited) }, self.watchers.filter { !self.holds($0.awaited) })
            self.watchers = waiting
            return done.map(\.continuation)
        }
    }

    /// What a watcher waits for.
    private enum Awaited {
        /// At least so many sleepers.
        case count(Int)
        /// A sleeper with this deadline.
        case deadline(Int64)
    }

    /// What a new sleeper found.
    private enum SleepOutcome {
        case due
        case cancelled
        /// Asleep; these watchers wait no longer.
        case asleep([CheckedContinuation<Void, Never>])
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - wallMilliseconds: The wall time to start at (Unix ms); by default a fixed instant in
    ///     November 2023, so runs are repeatable.
    ///   - monotonicMilliseconds: The monotonic reading to start at.
    public init(wallMilliseconds: Int64 = 1_700_000_000_000, monotonicMilliseconds: Int64 = 0) {
        self.state = Mutex(State(wall: wallMilliseconds, monotonic: monotonicMilliseconds))
    }

    public func nowMilliseconds() -> Int64 {
        self.state.withLock { $0.wall }
    }

    public func monotonicMilliseconds() -> Int64 {
        self.state.withLock { $0.monotonic }
    }

    public func sleep(untilMonotonic deadline: Int64) async throws {
        let id = self.state.withLock { state -> UInt64 in
            state.nextSleeper &+= 1
            return state.nextSleeper
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = self.state.withLock { state -> SleepOutcome in
                    if Task.isCancelled { return .cancelled }
                    if deadline <= state.monotonic { return .due }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return .asleep(state.satisfiedWatchers())
                }
                switch outcome {
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .asleep(let watchers): for watcher in watchers { watcher.resume() }
                }
            }
        } onCancel: {
            let sleeper = self.state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves wall and monotonic time forward together, and wakes every sleeper whose deadline the
    /// monotonic time reaches.
    /// - Parameter duration: How far; a negative one moves nothing.
    public func advance(by duration: Duration) {
        let step = max(0, duration.wholeMilliseconds)
        let due = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.wall += step
            state.monotonic += step
            let due = state.sleepers.filter { $0.value.deadline <= state.monotonic }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.sorted { $0.deadline < $1.deadline }.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// Steps the wall clock alone (as an NTP correction or an operator would), forward or back;
    /// monotonic time and the sleepers are not touched.
    public func stepWallClock(by duration: Duration) {
        self.state.withLock { $0.wall += duration.wholeMilliseconds }
    }

    /// How many tasks are asleep on the clock now.
    public var sleepers: Int {
        self.state.withLock { $0.sleepers.count }
    }

    /// The earliest deadline a task sleeps toward, if one does.
    public var nextDeadline: Int64? {
        self.state.withLock { $0.sleepers.values.map(\.deadline).min() }
    }

    /// Returns once at least `count` tasks are asleep on the clock: a loop under test has finished
    /// its turn and waits for time to pass.
    public func waitForSleepers(_ count: Int = 1) async {
        await self.wait(for: .count(count))
    }

    /// Returns once a task sleeps toward `deadline` (a monotonic reading): a loop under test has
    /// finished its turn and waits for that time.
    public func waitForSleeper(deadline: Int64) async {
        await self.wait(for: .deadline(deadline))
    }

    private func wait(for awaited: Awaited) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = self.state.withLock { state -> Bool in
                guard !state.holds(awaited) else { return true }
                state.watchers.append((awaited, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
