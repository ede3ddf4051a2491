import ArbiterTSDB

/// The alerts of one alerting rule as a value-type state machine (Prometheus 2.42's
/// `AlertingRule.Eval`): each evaluation's results go in, the transitions and the `ALERTS` /
/// `ALERTS_FOR_STATE` samples come out.
///
/// - A new label set is pending from this evaluation; an existing one keeps its start and takes
///   the new value and annotations.
/// - Pending becomes firing once `for` has elapsed since it became active.
/// - A label set missing from the results: a pending alert is dropped; a firing one resolves,
///   unless `keep_firing_for` holds it (counted from its first missing evaluation).
/// - Resolved alerts are kept 15 minutes so Alertmanager hears the resolution.
public struct AlertSet: Sendable, Equatable {
    /// How long a resolved alert is kept to be re-sent as resolved.
    public static let resolvedRetention: Int64 = 15 * 60_000

    public let holdDuration: Int64
    public let keepFiringFor: Int64
    public private(set) var alerts: [Labels: Alert] = [:]

    /// What changed in one evaluation (for logs and metrics).
    public struct Transitions: Sendable, Equatable {
        public var pending: [Labels] = []
        public var firing: [Labels] = []
        public var resolved: [Labels] = []
    }

    /// One candidate alert from an evaluation, its templates already expanded.
    public struct Candidate: Sendable {
        public var labels: Labels
        public var annotations: [String: String]
        public var value: Double

        public init(labels: Labels, annotations: [String: String], value: Double) {
            self.labels = labels
            self.annotations = annotations
            self.value = value
        }
    }

    public init(holdDuration: Int64, keepFiringFor: Int64) {
        self.holdDuration = holdDuration
        self.keepFiringFor = keepFiringFor
    }

    /// Applies one evaluation's results at `time` (Unix ms).
    /// - Throws: ``AlertLimitExceeded`` when more than `limit` alerts would be active (then every
    ///   alert is dropped, as Prometheus does).
    @discardableResult
    public mutating func update(_ candidates: [Candidate], at time: Int64, limit: Int = 0) throws(AlertLimitExceeded) -> Transitions {
        var transitions = Transitions()
        var present = Set<Labels>(minimumCapacity: candidates.count)
        for candidate in candidates {
            present.insert(candidate.labels)
            if var existing = self.alerts[candidate.labels], existing.state != .inactive {
                existing.value = candidate.value
                existing.annotations = candidate.annotations
                self.alerts[candidate.labels] = existing
            } else {
                self.alerts[candidate.labels] = Alert(labels: candidate.labels, annotations: candidate.annotations, value: candidate.value, activeAt: time)
                transitions.pending.append(candidate.labels)
            }
        }
        var active = 0
        for labels in Array(self.alerts.keys) {
            var alert = self.alerts[labels]!
            if !present.contains(labels) {
                var keepFiring = false
                if alert.state == .firing && self.keepFiringFor > 0 {
                    if alert.keepFiringSince == nil { alert.keepFiringSince = time }
                    keepFiring = time - alert.keepFiringSince! < self.keepFiringFor
                }
                if alert.state == .pending || (alert.resolvedAt.map { time - $0 > Self.resolvedRetention } ?? false) {
                    self.alerts[labels] = nil
                    continue
                }
                if alert.state != .inactive && !keepFiring {
                    alert.state = .inactive
                    alert.resolvedAt = time
                    transitions.resolved.append(labels)
                }
                self.alerts[labels] = alert
                if !keepFiring { continue }
            } else {
                alert.keepFiringSince = nil
            }
            active += 1
            if alert.state == .pending && time - alert.activeAt >= self.holdDuration {
                alert.state = .firing
                alert.firedAt = time
                transitions.firing.append(labels)
            }
            self.alerts[labels] = alert
        }
        if limit > 0 && active > limit {
            self.alerts = [:]
            throw AlertLimitExceeded(limit: limit, count: active)
        }
        return transitions
    }

    /// Sets an active alert's start (restoring `for` progress after a restart).
    public mutating func restore(_ labels: Labels, activeAt: Int64) {
        guard var alert = self.alerts[labels], alert.state == .pending else { return }
        alert.activeAt = activeAt
        self.alerts[labels] = alert
    }

    /// Records that the notifier sent an alert.
    public mutating func markSent(_ labels: Labels, at time: Int64, validUntil: Int64) {
        self.alerts[labels]?.lastSentAt = time
        self.alerts[labels]?.validUntil = validUntil
    }

    /// `ALERTS{alertstate=…}` 1 and `ALERTS_FOR_STATE` (the start, in seconds) for every pending
    /// or firing alert.
    public func series(at time: Int64) -> [(Labels, Double)] {
        var out: [(Labels, Double)] = []
        for alert in self.alerts.values where alert.state != .inactive {
            var pairs = alert.labels.pairs.map { ($0.name, $0.value) }
            pairs.append((Labels.metricName, "ALERTS"))
            pairs.append(("alertstate", alert.state.rawValue))
            out.append((Labels(pairs), 1))
            var forState = alert.labels.pairs.map { ($0.name, $0.value) }
            forState.append((Labels.metricName, "ALERTS_FOR_STATE"))
            out.append((Labels(forState), Double(alert.activeAt / 1000)))
        }
        return out
    }
}

/// More alerts than the group's `limit`.
public struct AlertLimitExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    public let limit: Int
    public let count: Int

    public init(limit: Int, count: Int) {
        self.limit = limit
        self.count = count
    }
    public var description: String { "exceeded limit of \(self.limit) with \(self.count) alerts" }
}

extension AlertSet {
    /// The firing and recently resolved alerts due to be sent at `time`: never sent, resolved
    /// since the last send, or last sent more than `resendDelay` ago. Each is marked sent, valid
    /// until `time + 4 × max(resendDelay, interval)` (two missed evaluations or sends tolerated).
    public mutating func dueForSending(at time: Int64, resendDelay: Int64, interval: Int64) -> [Alert] {
        var due: [Alert] = []
        for labels in self.alerts.keys {
            let alert = self.alerts[labels]!
            guard alert.state != .pending else { continue }
            let resolvedSinceSend = alert.resolvedAt.map { $0 > (alert.lastSentAt ?? Int64.min) } ?? false
            guard resolvedSinceSend || (alert.lastSentAt.map { $0 + resendDelay < time } ?? true) else { continue }
            self.markSent(labels, at: time, validUntil: time + 4 * max(resendDelay, interval))
            due.append(self.alerts[labels]!)
        }
        return due
    }
}

extension AlertSet {
    /// Puts back alerts saved before a restart: firing ones as they were, pending ones with their
    /// start moved later by the downtime, so `for` resumes where it stopped instead of restarting
    /// (or counting time nobody watched). The next evaluation confirms or resolves them.
    public mutating func restore(_ saved: [Alert], downtime: Int64) {
        for var alert in saved where alert.state != .inactive && self.alerts[alert.labels] == nil {
            if alert.state == .pending { alert.activeAt += max(0, downtime) }
            alert.keepFiringSince = nil
            alert.lastSentAt = nil
            self.alerts[alert.labels] = alert
        }
    }
}
