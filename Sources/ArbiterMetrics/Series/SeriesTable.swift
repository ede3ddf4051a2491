import CArbiterShims
import Synchronization

/// An append-only table of series that one writer fills and any number of readers walk without a lock.
///
/// Series live in fixed-size segments reached through a directory sized for the family's series
/// limit, so appending never moves or copies what is already there (O(1), no family copy), and a
/// reader that loaded `count` may read every slot below it.
///
/// - Important: `append` must be called by one writer at a time (the owning family holds its lock).
///   `forEach` may run concurrently with `append` from any thread.
// Safety (@unchecked Sendable): slots below `count` are written once, before the release store that
// publishes them, and never again until deinit; readers acquire `count` before touching slots.
final class SeriesTable<Element: AnyObject & Sendable>: @unchecked Sendable {
    private static var segmentShift: Int { 9 }
    private static var segmentSize: Int { 1 << segmentShift }
    private static var prefetchDistance: Int { 8 }

    private let directory: UnsafeMutablePointer<UnsafeMutablePointer<Unmanaged<Element>>?>
    private let directoryCapacity: Int
    private let published = Atomic<Int>(0)

    /// The most elements this table can hold.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.directoryCapacity = (capacity + Self.segmentSize - 1) >> Self.segmentShift
        self.directory = .allocate(capacity: max(self.directoryCapacity, 1))
        self.directory.initialize(repeating: nil, count: max(self.directoryCapacity, 1))
    }

    deinit {
        let count = self.published.load(ordering: .acquiring)
        for index in 0..<count {
            self.slot(index).pointee.release()
        }
        for segment in 0..<self.directoryCapacity {
            self.directory[segment]?.deallocate()
        }
        self.directory.deallocate()
    }

    /// The number of elements published so far.
    var count: Int { self.published.load(ordering: .acquiring) }

    /// Appends an element; returns `false` when the table is full.
    func append(_ element: Element) -> Bool {
        let index = self.published.load(ordering: .relaxed)
        guard index < self.capacity else { return false }
        let segment = index >> Self.segmentShift
        if self.directory[segment] == nil {
            self.directory[segment] = .allocate(capacity: Self.segmentSize)
        }
        (self.directory[segment]! + (index & (Self.segmentSize - 1))).initialize(to: .passRetained(element))
        self.published.store(index + 1, ordering: .releasing)
        return true
    }

    /// Calls `body` on every published element, in insertion order.
    @inline(__always)
    func forEach(_ body: (Element) throws -> Void) rethrows {
        _ = try self.forEach(from: 0, to: self.count) { element in
            try body(element)
            return true
        }
    }

    /// Calls `body` on the elements from `start` up to `end` (at most the published count) until it
    /// returns `false`.
    /// - Returns: The index of the first element `body` did not accept.
    @inline(__always)
    func forEach(from start: Int, to end: Int, _ body: (Element) throws -> Bool) rethrows -> Int {
        var index = start
        while index < end {
            let segment = self.directory[index >> Self.segmentShift]!
            let segmentEnd = min(end, (index | (Self.segmentSize - 1)) + 1)
            while index < segmentEnd {
                // Series objects are scattered over the heap; asking for one a few steps ahead hides
                // most of the cache misses a scrape would otherwise wait for one by one.
                if index + Self.prefetchDistance < segmentEnd {
                    CArbiterShims_prefetch(segment[(index + Self.prefetchDistance) & (Self.segmentSize - 1)].toOpaque())
                }
                // The table holds a reference for as long as it lives, so the element can be lent
                // without a retain/release pair (which would dirty every series' cache line).
                let accepted = try segment[index & (Self.segmentSize - 1)]._withUnsafeGuaranteedRef { try body($0) }
                if !accepted { return index }
                index += 1
            }
        }
        return index
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<Unmanaged<Element>> {
        self.directory[index >> Self.segmentShift]! + (index & (Self.segmentSize - 1))
    }
}
