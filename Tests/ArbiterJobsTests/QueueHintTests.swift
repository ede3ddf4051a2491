import ArbiterJobs
import Testing

/// A lease that finds a type's queue empty marks it; anything that may queue work clears the marks;
/// a mark made while work was announced does not stick, and none outlives its horizon.
@Suite struct QueueHintTests {
    @Test func marksClearsAndExpires() {
        let hint = QueueHint()
        #expect(hint.mayHaveWork(["a", "b"], now: 0) == ["a", "b"])
        hint.markEmpty(["a"], since: hint.generation, now: 10)
        #expect(hint.mayHaveWork(["a", "b"], now: 20) == ["b"])
        #expect(hint.mayHaveWork(["a"], now: 10 + QueueHint.horizon) == ["a"], "a mark is trusted for the horizon only")
        hint.clear()
        #expect(hint.mayHaveWork(["a", "b"], now: 20) == ["a", "b"])

        // Work announced while the lease ran: its finding is stale and leaves no mark.
        let before = hint.generation
        hint.clear()
        hint.markEmpty(["a", "b"], since: before, now: 30)
        #expect(hint.mayHaveWork(["a", "b"], now: 40) == ["a", "b"])
    }
}
