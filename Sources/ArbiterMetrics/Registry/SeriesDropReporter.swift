import Logging
import Synchronization

/// Counts series refused by a family's limit and warns about it at most once a minute per family,
/// so a label-value explosion neither grows memory nor floods the log.
final class SeriesDropReporter: Sendable {
    private let family: String
    private let limit: Int
    private let dropped: Counter
    private let logger: Logger
    private let epoch: ContinuousClock.Instant
    private let lastWarning = Atomic<Int64>(Int64.min)

    init(family: String, limit: Int, dropped: Counter, logger: Logger, epoch: ContinuousClock.Instant) {
        self.family = family
        self.limit = limit
        self.dropped = dropped
        self.logger = logger
        self.epoch = epoch
    }

    func report() {
        self.dropped.increment()
        let now = self.epoch.duration(to: .now).components.seconds
        let last = self.lastWarning.load(ordering: .relaxed)
        guard last == Int64.min || now - last >= 60 else { return }
        guard self.lastWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        self.logger.warning(
            "metric family reached its series limit; new label values are not recorded",
            metadata: ["family": "\(self.family)", "limit": "\(self.limit)", "dropped_total": "\(Int(self.dropped.value))"]
        )
    }
}
