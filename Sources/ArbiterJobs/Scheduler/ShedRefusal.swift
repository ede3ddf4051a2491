/// A submission refused because a `shed` action holds its job type (or every type): while the
/// alert behind it fires, new jobs of the type are not taken. Work already queued keeps running.
public struct ShedRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable code APIs answer with.
    public static let code = "shed"
    /// How long a client should wait before it submits again.
    public static let retryAfter: Duration = .seconds(30)

    /// The refused submission's job type.
    public let jobType: String
    /// The names of the alerts that hold the shed, sorted.
    public let alerts: [String]
    /// Which submission of a batch was refused (0 for one alone).
    public let index: Int

    public init(jobType: String, alerts: [String], index: Int = 0) {
        self.jobType = jobType
        self.alerts = alerts
        self.index = index
    }

    /// What went wrong, for a person.
    public var message: String {
        let named = self.alerts.isEmpty ? "an alert" : self.alerts.joined(separator: ", ")
        return "submissions of job type \(self.jobType) are shed while \(named) fires; retry later"
    }

    public var description: String { self.message }
}
