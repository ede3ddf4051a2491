import ArbiterCore

/// Sizes one endpoint's shards from measured throughput, as Prometheus's remote write does: every
/// 10 s, enough shards to send what comes in plus 5% of the backlog a second, from moving averages
/// (weight 0.2) of the rates in and out and of the time spent sending. The count changes only when
/// the wanted one leaves a ±30% band around it, never up while the endpoint fails (a retry in the
/// last two backoffs, or no success for 10 s), and never down while more than 10 s behind.
struct ShardSizer {
    /// An exponentially weighted moving average with Prometheus's weight (0.2).
    struct EWMA {
        private(set) var value = 0.0
        private var primed = false

        mutating func update(_ sample: Double) {
            self.value = self.primed ? 0.2 * sample + 0.8 * self.value : sample
            self.primed = true
        }
    }

    static let interval = Duration.seconds(10)

    let minShards: Int
    let maxShards: Int
    private(set) var shards: Int
    private(set) var desired: Int
    private var samplesIn = 0
    private var samplesOut = 0
    private var sendSeconds = 0.0
    private var inRate = EWMA()
    private var outRate = EWMA()
    private var outDuration = EWMA()
    private var lastUpdate: ContinuousClock.Instant
    private var lastSuccess: ContinuousClock.Instant
    /// No resharding up until then: the endpoint was failing.
    private var calmUntil: ContinuousClock.Instant

    init(minShards: Int, maxShards: Int, now: ContinuousClock.Instant = .now) {
        (self.minShards, self.maxShards) = (minShards, maxShards)
        (self.shards, self.desired) = (minShards, minShards)
        (self.lastUpdate, self.lastSuccess, self.calmUntil) = (now, now, now)
    }

    mutating func received(samples: Int) {
        self.samplesIn += samples
    }

    mutating func delivered(samples: Int, took: Duration, at now: ContinuousClock.Instant = .now) {
        self.samplesOut += samples
        self.sendSeconds += took.seconds
        self.lastSuccess = now
    }

    /// An attempt failed and is retried after `wait`.
    mutating func failed(retryingIn wait: Duration, at now: ContinuousClock.Instant = .now) {
        self.calmUntil = max(self.calmUntil, now + wait * 2)
    }

    /// Resizes when 10 s have passed since the last time; `pending` is the backlog in samples.
    mutating func update(pending: Double, at now: ContinuousClock.Instant = .now) {
        let elapsed = (now - self.lastUpdate).seconds
        guard elapsed >= Self.interval.seconds else { return }
        self.inRate.update(Double(self.samplesIn) / elapsed)
        self.outRate.update(Double(self.samplesOut) / elapsed)
        self.outDuration.update(self.sendSeconds / elapsed)
        (self.samplesIn, self.samplesOut, self.sendSeconds) = (0, 0, 0)
        self.lastUpdate = now
        guard self.outRate.value > 0 else { return }
        let timePerSample = self.outDuration.value / self.outRate.value
        let wanted = Int((timePerSample * (self.inRate.value + 0.05 * pending)).rounded(.up))
        self.desired = min(self.maxShards, max(self.minShards, wanted))
        let failing = now - self.lastSuccess > Self.interval || now < self.calmUntil
        let inBand = Double(self.desired) >= Double(self.shards) * 0.7 && Double(self.desired) <= Double(self.shards) * 1.3
        let behind = pending / max(self.inRate.value, 1) > Self.interval.seconds
        if !inBand, !(self.desired > self.shards && failing), !(self.desired < self.shards && behind) {
            self.shards = self.desired
        }
    }
}
