import ArbiterCore
import Synchronization

/// When the jobs the scheduler put off (a retry's backoff, a delayed submission) come due, so that
/// they are queued then rather than at the job clock's next tick.
///
/// It only ever brings promotion forward: the clock's tick still queues whatever is due, so a time
/// this process did not see (another process's submission, one from before a restart, one past the
/// bound on how many are kept) is at most a tick late.
public final class DueTimes: Sendable {
    /// How many times are kept; past that the earliest ones are, and later ones wait for the tick.
    public static let capacity = 4096

    /// A binary min-heap of Unix ms.
    private let heap = Mutex<[Int64]>([])
    /// Signalled when the earliest time moves earlier.
    public let changed: WakeSignal

    /// - Parameter clock: What a wait on ``changed`` times out by.
    public init(clock: any TimeSource = SystemClock()) {
        self.changed = WakeSignal(clock: clock)
    }

    /// A job comes due at `runAt` (Unix ms).
    public func note(_ runAt: Int64) {
        let earlier = self.heap.withLock { heap -> Bool in
            let wasFirst = heap.first
            if heap.count >= Self.capacity {
                // Full: keep the earliest; a time later than all kept waits for the tick.
                guard let last = heap.indices.max(by: { heap[$0] < heap[$1] }), runAt < heap[last] else { return false }
                heap.swapAt(last, heap.count - 1)
                heap.removeLast()
                Self.siftUp(&heap, from: min(last, heap.count - 1))
            }
            heap.append(runAt)
            Self.siftUp(&heap, from: heap.count - 1)
            return wasFirst.map { runAt < $0 } ?? true
        }
        if earlier { self.changed.signal() }
    }

    /// The earliest time noted and not yet taken.
    public var next: Int64? { self.heap.withLock { $0.first } }

    /// Takes every time that has come by `now`.
    /// - Returns: Whether any had: the caller queues what is due.
    public func take(dueBy now: Int64) -> Bool {
        self.heap.withLock { heap in
            var took = false
            while let first = heap.first, first <= now {
                heap.swapAt(0, heap.count - 1)
                heap.removeLast()
                Self.siftDown(&heap, from: 0)
                took = true
            }
            return took
        }
    }

    private static func siftUp(_ heap: inout [Int64], from start: Int) {
        guard start > 0 else { return }
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [Int64], from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right] < heap[left] ? right : left
            guard heap[smaller] < heap[parent] else { return }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
    }
}
