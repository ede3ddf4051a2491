import ArbiterCore

/// What the configuration says about one job type (`job_types.<name>` in the YAML).
public struct JobTypePolicy: Sendable, Equatable {
    /// Attempts, backoff and per-attempt timeout for jobs that do not set their own.
    public var retry: RetryPolicy
    /// The most jobs of the type running at once, across all workers; `nil` for no limit.
    public var concurrency: Int?
    /// The most jobs of the type started per second; `nil` for no limit.
    public var rateLimit: RateLimit?
    /// The consent scope a job of the type needs from its user, if any.
    public var requiresConsent: String?
    /// Every job of the type is a dry run (its workers are told not to act for real).
    public var dryRun = false
    /// How long its finished jobs are kept, where it differs from the global retention.
    public var retention = RetentionOverride()

    public init(retry: RetryPolicy = .default, concurrency: Int? = nil, rateLimit: RateLimit? = nil, requiresConsent: String? = nil) {
        self.retry = retry
        self.concurrency = concurrency
        self.rateLimit = rateLimit
        self.requiresConsent = requiresConsent
    }
}

/// A rate written `N/s`, `N/m` or `N/h`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// How many per `per`.
    public var count: Double
    /// The period.
    public var per: Duration

    public init(count: Double, per: Duration) {
        self.count = count
        self.per = per
    }

    /// Parses `10/s`, `600/m`, `2.5/s` or `100/h`.
    /// - Returns: `nil` when the text is not a positive count over `s`, `m` or `h`.
    /// The smallest and largest count a rate may have per unit.
    public static let smallest = 0.001, largest = 1_000_000.0

    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        // Bounded so that the token bucket's waits and the printed form stay finite whole numbers.
        guard parts.count == 2, let count = Double(parts[0]), (Self.smallest...Self.largest).contains(count) else { return nil }
        switch parts[1] {
        case "s": self.per = .seconds(1)
        case "m": self.per = .seconds(60)
        case "h": self.per = .seconds(3600)
        default: return nil
        }
        self.count = count
    }

    /// Events per second.
    public var perSecond: Double {
        self.count / self.per.seconds
    }

    public var description: String {
        let unit = self.per == .seconds(1) ? "s" : self.per == .seconds(60) ? "m" : "h"
        let count = self.count.rounded() == self.count ? String(Int(self.count)) : String(self.count)
        return "\(count)/\(unit)"
    }
}
