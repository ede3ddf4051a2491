import Synchronization

/// The render handles of a family's series, in creation order: one writer appends, any number of
/// readers walk them without a lock.
///
/// A handle is whatever the family's writer needs to render a series: the address of a counter's or
/// gauge's record in its ``SeriesArena``, or an unretained histogram object. Handles live in
/// fixed-size segments reached through a directory sized for the family's series limit, so appending
/// never moves what is already there (O(1), no copy of the family).
///
/// - Important: `append` must be called by one writer at a time (the owning family holds its lock).
///   `forEach` may run concurrently with `append` from any thread.
// Safety (@unchecked Sendable): slots below `count` are written once, before the release store that
// publishes them, and never again; readers acquire `count` before touching slots.
final class SeriesTable: @unchecked Sendable {
    private static var segmentShift: Int { 9 }
    private static var segmentSize: Int { 1 << segmentShift }

    private let directory: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutableRawPointer>?>
    private let directoryCapacity: Int
    private let published = Atomic<Int>(0)

    /// The most handles this table can hold.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.directoryCapacity = max((capacity + Self.segmentSize - 1) >> Self.segmentShift, 1)
        self.directory = .allocate(capacity: self.directoryCapacity)
        self.directory.initialize(repeating: nil, count: self.directoryCapacity)
    }

    deinit {
        for segment in 0..<self.directoryCapacity {
            self.directory[segment]?.deallocate()
        }
        self.directory.deallocate()
    }

    /// The number of handles published so far.
    var count: Int { self.published.load(ordering: .acquiring) }

    /// Appends a handle; returns `false` when the table is full.
    func append(_ handle: UnsafeMutableRawPointer) -> Bool {
        let index = self.published.load(ordering: .relaxed)
        guard index < self.capacity else { return false }
        let segment = index >> Self.segmentShift
        if self.directory[segment] == nil {
            self.directory[segment] = .allocate(capacity: Self.segmentSize)
        }
        (self.directory[segment]! + (index & (Self.segmentSize - 1))).initialize(to: handle)
        self.published.store(index + 1, ordering: .releasing)
        return true
    }

    /// Calls `body` on the handles from `start` up to `end` (at most the published count) until it
    /// returns `false`.
    /// - Returns: The index of the first handle `body` did not accept.
    @inline(__always)
    func forEach(from start: Int, to end: Int, _ body: (UnsafeMutableRawPointer) throws -> Bool) rethrows -> Int {
        var index = start
        while index < end {
            let segment = self.directory[index >> Self.segmentShift]!
            let segmentEnd = min(end, (index | (Self.segmentSize - 1)) + 1)
            while index < segmentEnd {
                if try !body(segment[index & (Self.segmentSize - 1)]) { return index }
                index += 1
            }
        }
        return index
    }
}
