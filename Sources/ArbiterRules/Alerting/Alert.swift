import ArbiterTSDB

/// An alert's state: pending while its `for` runs, firing after, inactive once resolved.
public enum AlertState: String, Sendable, Codable {
    case inactive, pending, firing
}

/// One alert of an alerting rule: a label set the rule's expression returned.
public struct Alert: Sendable, Equatable {
    /// The result's labels without `__name__`, plus the rule's labels and `alertname`.
    public var labels: Labels
    public var annotations: [String: String]
    public var state: AlertState
    public var value: Double
    /// Unix ms when the alert became pending.
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    /// Set while a firing alert is held by `keep_firing_for` after its condition cleared.
    public var keepFiringSince: Int64?
    /// Unix ms of the last send to Alertmanager (the notifier's resend bookkeeping).
    public var lastSentAt: Int64?
    public var validUntil: Int64?

    public init(labels: Labels, annotations: [String: String], value: Double, activeAt: Int64) {
        self.labels = labels
        self.annotations = annotations
        self.state = .pending
        self.value = value
        self.activeAt = activeAt
    }

    public static func == (lhs: Alert, rhs: Alert) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.state == rhs.state && lhs.activeAt == rhs.activeAt
            && lhs.firedAt == rhs.firedAt && lhs.resolvedAt == rhs.resolvedAt && lhs.keepFiringSince == rhs.keepFiringSince
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}
