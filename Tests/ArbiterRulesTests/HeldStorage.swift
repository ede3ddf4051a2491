import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB
import Dispatch
import Synchronization

/// A storage that reads nothing and keeps nothing but a count of what was appended; told to, it
/// holds the next append until the test lets it go, so that a rule group's evaluation stays in
/// flight with its alerts worked out and not yet written back.
final class HeldStorage: Queryable, SampleAppender {
    private struct State {
        var holdNext = false
        var appended = 0
    }

    private let state = Mutex(State())
    private let arrivals: AsyncStream<Void>
    private let arrival: AsyncStream<Void>.Continuation
    private let gate = DispatchSemaphore(value: 0)

    init() {
        let (arrivals, arrival) = AsyncStream.makeStream(of: Void.self)
        self.arrivals = arrivals
        self.arrival = arrival
    }

    /// Samples appended so far.
    var appended: Int { self.state.withLock { $0.appended } }

    /// The next append waits for ``release()``.
    func holdNextAppend() {
        self.state.withLock { $0.holdNext = true }
    }

    /// Returns once an append is being held. Call it once per ``holdNextAppend()``.
    func held() async {
        for await _ in self.arrivals { return }
    }

    /// Lets the held append go.
    func release() {
        self.gate.signal()
    }

    func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series] { [] }

    func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool {
        let hold: Bool = self.state.withLock { state in
            state.appended += 1
            defer { state.holdNext = false }
            return state.holdNext
        }
        if hold {
            self.arrival.yield()
            // The evaluation runs on a thread of its own (see RuleGroupTests), so it may block.
            self.gate.wait()
        }
        return true
    }
}
