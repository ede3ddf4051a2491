import ArbiterCore

/// An alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`).
public struct NotifierAlert: Sendable, Equatable {
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Unix ms.
    public var startsAt: Int64
    /// Unix ms: the resolve time once resolved, else how long the alert stays valid without a resend.
    public var endsAt: Int64
    public var generatorURL: String

    public init(labels: [String: String], annotations: [String: String], startsAt: Int64, endsAt: Int64, generatorURL: String) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// The JSON object Alertmanager reads.
    var json: [String: Any] {
        [
            "labels": self.labels, "annotations": self.annotations, "startsAt": RFC3339.format(milliseconds: self.startsAt),
            "endsAt": RFC3339.format(milliseconds: self.endsAt), "generatorURL": self.generatorURL,
        ]
    }
}
