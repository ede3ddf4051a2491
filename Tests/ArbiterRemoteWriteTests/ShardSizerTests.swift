@testable import ArbiterRemoteWrite
import Testing

/// Shards follow measured throughput as Prometheus's do: up when sending cannot keep up, never up
/// against a failing endpoint, never down while behind, and not for changes inside ±30%.
@Suite struct ShardSizerTests {
    let start = ContinuousClock.now

    /// Feeds the 10 s window starting `at` seconds: `incoming` samples a second came in, and one
    /// shard sent `batch` samples at a time, each send taking `took`, back to back; then the sizer
    /// updates with `pending` samples behind.
    func window(_ sizer: inout ShardSizer, at second: Int, incoming: Int, took: Duration, batch: Int = 2_000, pending: Double = 0) {
        let from = self.start + .seconds(second)
        sizer.received(samples: incoming * 10)
        var at = from
        while at + took <= from + .seconds(10) {
            at += took
            sizer.delivered(samples: batch, took: took, at: at)
        }
        sizer.update(pending: pending, at: from + .seconds(10))
    }

    func sizer(_ minShards: Int = 1, _ maxShards: Int = 50) -> ShardSizer {
        ShardSizer(minShards: minShards, maxShards: maxShards, now: self.start)
    }

    @Test func sendingThatCannotKeepUpGetsMoreShards() {
        // 19,000 samples/s in; a shard sends 2,000 in 0.4 s, 5,000/s: 3.8, so 4 shards.
        var sizer = self.sizer()
        self.window(&sizer, at: 0, incoming: 19_000, took: .milliseconds(400))
        #expect(sizer.desired == 4 && sizer.shards == 4)
    }

    @Test func nothingChangesBeforeTenSecondsOrInsideTheBand() {
        var early = self.sizer()
        early.received(samples: 190_000)
        early.delivered(samples: 2_000, took: .milliseconds(400), at: self.start + .seconds(1))
        early.update(pending: 0, at: self.start + .seconds(9))
        #expect(early.shards == 1 && early.desired == 1)
        // 4 shards; then 4.8 wanted (5) is inside +30%: no change, though the desired count says 5.
        var sizer = self.sizer()
        self.window(&sizer, at: 0, incoming: 19_000, took: .milliseconds(400))
        self.window(&sizer, at: 10, incoming: 26_500, took: .milliseconds(400))
        #expect(sizer.desired == 5 && sizer.shards == 4)
    }

    @Test func aFailingEndpointGetsNoMoreShards() {
        // A retry in the window (wait 1 s at 9 s): calm until 11 s, so no more shards at 10 s.
        var retried = self.sizer()
        retried.failed(retryingIn: .seconds(1), at: self.start + .seconds(9))
        self.window(&retried, at: 0, incoming: 19_000, took: .milliseconds(400))
        #expect(retried.desired == 4 && retried.shards == 1)
        // No success for more than 10 s: failing too, however large the backlog.
        var silent = self.sizer()
        self.window(&silent, at: 0, incoming: 19_000, took: .milliseconds(400))
        silent.received(samples: 200_000)
        silent.update(pending: 500_000, at: self.start + .seconds(21))
        #expect(silent.desired > 4 && silent.shards == 4)
    }

    @Test func aBacklogKeepsShardsAndTheCountStaysWithinItsBounds() {
        // 8 shards; then sends get ten times faster, so fewer are wanted, unless more than 10 s behind.
        var behind = self.sizer()
        self.window(&behind, at: 0, incoming: 38_000, took: .milliseconds(400))
        #expect(behind.shards == 8)
        var idle = behind
        self.window(&behind, at: 10, incoming: 38_000, took: .milliseconds(40), pending: 400_000)
        #expect(behind.desired == 5 && behind.shards == 8)
        self.window(&idle, at: 10, incoming: 38_000, took: .milliseconds(40))
        #expect(idle.desired == 3 && idle.shards == 3)
        var capped = self.sizer(2, 3)
        #expect(capped.shards == 2)
        self.window(&capped, at: 0, incoming: 100_000, took: .milliseconds(400))
        #expect(capped.desired == 3 && capped.shards == 3)
    }
}
