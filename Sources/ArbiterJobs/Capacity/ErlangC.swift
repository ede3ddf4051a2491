/// The M/M/c queue: `c` worker slots serving arrivals at rate λ whose service takes `S` on average.
/// The offered load is `a = λ·S` (slots' worth of work); Erlang C gives the chance an arrival has
/// to wait, and from it the mean wait in the queue. Computed through the Erlang B recursion, which
/// stays exact for thousands of slots where factorials would overflow.
public enum ErlangC {
    /// The chance an arrival waits, for `servers` slots under `load`; 1 when they cannot keep up.
    public static func probabilityOfWaiting(servers: Int, load: Double) -> Double {
        guard servers > 0, load > 0 else { return servers > 0 ? 0 : 1 }
        guard Double(servers) > load else { return 1 }
        var blocking = 1.0
        for k in 1...servers { blocking = load * blocking / (Double(k) + load * blocking) }
        let c = Double(servers)
        return c * blocking / (c - load * (1 - blocking))
    }

    /// The mean time an arrival waits before a slot takes it (seconds); infinite when the slots
    /// cannot keep up.
    public static func meanWait(servers: Int, arrivalRate: Double, serviceSeconds: Double) -> Double {
        let load = arrivalRate * serviceSeconds
        guard load > 0 else { return 0 }
        guard Double(servers) > load else { return .infinity }
        return self.probabilityOfWaiting(servers: servers, load: load) * serviceSeconds / (Double(servers) - load)
    }

    /// The fewest slots that keep the mean wait at or under `targetWait` (0 with no work).
    public static func slotsNeeded(arrivalRate: Double, serviceSeconds: Double, targetWait: Double, limit: Int = 1_000_000) -> Int {
        let load = arrivalRate * serviceSeconds
        guard load > 0, load.isFinite else { return 0 }
        var servers = Int(load.rounded(.down)) + 1
        while servers < limit && self.meanWait(servers: servers, arrivalRate: arrivalRate, serviceSeconds: serviceSeconds) > targetWait {
            servers += 1
        }
        return servers
    }
}
