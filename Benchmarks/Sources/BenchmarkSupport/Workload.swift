import ArbiterMetrics

/// 100 counter families × 1,000 series (50 instances × 20 shards) in a metrics registry, advanced
/// by a deterministic pseudo-random amount each round: the 100,000 series the rules and remote-write
/// benchmarks run on.
public final class Workload: @unchecked Sendable {
    // Safety (@unchecked Sendable): `random` is touched only by `advance()`, which one task calls at a time.
    public static let families = 100
    public static let instances = 50
    public static let shards = 20
    public static var seriesCount: Int { Self.families * Self.instances * Self.shards }

    public let registry = MetricRegistry(options: .init(seriesLimit: 2_000))
    private var counters: [Counter] = []
    private var random: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init() throws {
        for family in 0..<Self.families {
            let counters = try self.registry.counterFamily(
                "bench_metric_\(family)_total", help: "Synthetic counter \(family) of the benchmarks.", labelNames: ["instance", "shard"])
            for instance in 0..<Self.instances {
                for shard in 0..<Self.shards {
                    self.counters.append(try counters.labels(["i\(instance)", "\(shard)"]))
                }
            }
        }
    }

    /// One round of traffic: every counter goes up by 0 to 10.
    public func advance() {
        for counter in self.counters {
            self.random = self.random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            counter.increment(by: Int(self.random >> 60) % 11)
        }
    }
}
