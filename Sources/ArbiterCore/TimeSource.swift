/// Where the daemon reads the time and waits for it: wall time for what is stored and shown,
/// monotonic time for what measures intervals (rate limits, lockouts, timeouts), and sleeping until
/// a monotonic deadline for the loops that move time forward.
///
/// Everything that decides by the time takes one, so a test can hold time still and move it by
/// hand instead of sleeping. ``SystemClock`` is the real one.
///
/// - Important: Wall and monotonic readings are on different scales; never subtract one from the
///   other.
public protocol TimeSource: Sendable {
    /// Milliseconds since the Unix epoch, now: the time stores and APIs record.
    func nowMilliseconds() -> Int64

    /// Milliseconds on a monotonic scale with an arbitrary origin: it never steps back, and a step
    /// of the wall clock does not move it.
    func monotonicMilliseconds() -> Int64

    /// Returns once ``monotonicMilliseconds()`` reaches `deadline` (at once if it has).
    /// - Parameter deadline: A reading of ``monotonicMilliseconds()``.
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(untilMonotonic deadline: Int64) async throws
}

extension TimeSource {
    /// Returns once `duration` has passed on the monotonic clock.
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        let now = self.monotonicMilliseconds()
        let (deadline, overflow) = now.addingReportingOverflow(max(0, duration.wholeMilliseconds))
        try await self.sleep(untilMonotonic: overflow ? .max : deadline)
    }
}
