import Synchronization

/// Failures in a row of something that retries by itself (a connection, a clock tick), so that a long
/// outage is logged at its 1st, 2nd, 4th, 8th… failure and once when it ends, not at every retry.
final class FailureStreak: Sendable {
    private let count = Mutex(0)

    /// Counts a failure.
    /// - Returns: The failures in a row, if this one should be logged.
    func failed() -> Int? {
        let count = self.count.withLock { count in
            count += 1
            return count
        }
        return count & (count - 1) == 0 ? count : nil
    }

    /// Ends the streak.
    /// - Returns: How many failures it had (0 when there was none).
    func succeeded() -> Int {
        self.count.withLock { count in
            defer { count = 0 }
            return count
        }
    }
}
