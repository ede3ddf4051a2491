import Synchronization

/// Per job type, when its longest-waiting queued job became eligible (Unix ms), as last read from the
/// store. The job gauges read it every second; the console shows it from here rather than scanning
/// every queued job again for each page (a tenth of a second with 100,000 queued, on SQLite).
public final class OldestQueued: Sendable {
    private let latest = Mutex<[String: Int64]?>(nil)

    public init() {}

    public func record(_ oldest: [String: Int64]) {
        self.latest.withLock { $0 = oldest }
    }

    /// The last reading; `nil` before the first.
    public var current: [String: Int64]? { self.latest.withLock { $0 } }
}
