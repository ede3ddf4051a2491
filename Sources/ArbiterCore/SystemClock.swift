/// The process's real clocks: `CLOCK_REALTIME` for wall time, `ContinuousClock` for monotonic time
/// and sleeping.
public struct SystemClock: TimeSource {
    /// Where monotonic readings count from: the first reading in the process.
    private static let origin = ContinuousClock.now

    public init() {}

    public func nowMilliseconds() -> Int64 {
        WallClock.nowMilliseconds()
    }

    public func monotonicMilliseconds() -> Int64 {
        (ContinuousClock.now - Self.origin).wholeMilliseconds
    }

    public func sleep(untilMonotonic deadline: Int64) async throws {
        try await Task.sleep(until: Self.origin + .milliseconds(deadline), clock: .continuous)
    }
}
