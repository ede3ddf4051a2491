import Foundation
import MallocInterposerSwift
import Synchronization

/// Timing, threads and allocation counting for the benchmark cases.
enum Measure {
    /// Runs `body` `rounds` times and returns the median wall time.
    static func median(rounds: Int, _ body: () -> Void) -> Duration {
        var times: [Duration] = []
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            body()
            times.append(start.duration(to: .now))
        }
        return times.sorted()[times.count / 2]
    }

    /// Runs `body(threadIndex)` on `threads` threads started together; returns the wall time until all finish.
    static func parallel(threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Duration {
        let latch = StartLatch()
        for index in 0..<threads {
            let thread = Thread {
                latch.ready.wrappingAdd(1, ordering: .acquiringAndReleasing)
                while !latch.go.load(ordering: .acquiring) {}
                body(index)
                latch.done.wrappingAdd(1, ordering: .acquiringAndReleasing)
            }
            thread.start()
        }
        while latch.ready.load(ordering: .acquiring) < threads {}
        let start = ContinuousClock.now
        latch.go.store(true, ordering: .releasing)
        while latch.done.load(ordering: .acquiring) < threads {}
        return start.duration(to: .now)
    }

    /// Heap allocations made by `body`, or `nil` when the interposer is not preloaded.
    static func allocations(_ body: () -> Void) -> Int? {
        guard self.interposerLoaded else { return nil }
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        body()
        MallocInterposerSwift.unhook()
        return MallocInterposerSwift.getStatistics().mallocCount
    }

    /// Whether `LD_PRELOAD` brought the interposer in (counting sees a deliberate allocation).
    static let interposerLoaded: Bool = {
        MallocInterposerSwift.initialize()
        MallocInterposerSwift.hook()
        // An allocation the optimizer cannot remove: its size and contents are only known at run time.
        let probe = [Int](repeating: Int.random(in: 1...9), count: Int.random(in: 64...128))
        MallocInterposerSwift.unhook()
        return MallocInterposerSwift.getStatistics().mallocCount > 0 && probe.count > 0
    }()

    static func nanoseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    }
}

/// Values that look like real measurements: non-integer, varied length.
struct RealisticValues {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next(scale: Double = 1000) -> Double {
        self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(self.state >> 11) / Double(1 << 53) * scale
    }
}

/// Lets benchmark threads start at the same moment.
final class StartLatch: Sendable {
    let ready = Atomic<Int>(0)
    let go = Atomic<Bool>(false)
    let done = Atomic<Int>(0)
}
