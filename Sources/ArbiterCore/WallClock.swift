#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time as stores and APIs record it: Unix milliseconds.
public enum WallClock {
    /// Milliseconds since the Unix epoch, now.
    public static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
