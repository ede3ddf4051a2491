import ArbiterCore

/// How long finished jobs are kept (`retention:` in the YAML, overridable per job type): a job that
/// finished longer ago than its state's period is removed with its attempts. `nil` keeps it forever.
///
/// The defaults are what a one-box user would not regret: successes for a day (as River's and Oban's
/// pruners keep completed jobs), cancellations for a week, dead jobs (the ones someone must look at)
/// for a month.
public struct RetentionPolicy: Sendable, Equatable {
    /// The states retention applies to: the final ones.
    public static let states: [JobState] = [.succeeded, .cancelled, .dead]

    public static let `default` = RetentionPolicy(
        periods: [.succeeded: .seconds(86_400), .cancelled: .seconds(7 * 86_400), .dead: .seconds(30 * 86_400)])

    /// Per final state, how long a job is kept after it finished; a state missing here is kept forever.
    public var periods: [JobState: Duration]

    public init(periods: [JobState: Duration]) {
        self.periods = periods
    }
}

/// A job type's own retention (`job_types.<name>.retention`): per state, a period or forever; states
/// it does not name follow the global policy.
public struct RetentionOverride: Sendable, Equatable {
    public enum Keep: Sendable, Equatable {
        case forever
        case period(Duration)
    }

    public var states: [JobState: Keep]

    public init(states: [JobState: Keep] = [:]) {
        self.states = states
    }
}

/// The times before which finished jobs may go, as of one moment: what the store is asked to select.
public struct RetentionCutoffs: Sendable, Equatable {
    /// Per state, the cutoff for every type without an override for that state (`nil`: kept forever).
    public var byState: [JobState: Int64]
    /// Per type, per state it overrides, its cutoff (`nil`: kept forever).
    public var byType: [String: [JobState: Int64?]]

    public init(byState: [JobState: Int64], byType: [String: [JobState: Int64?]]) {
        self.byState = byState
        self.byType = byType
    }

    /// The cutoffs as of `now`.
    public init(policy: RetentionPolicy, overrides: [String: RetentionOverride], now: Int64) {
        self.byState = policy.periods.mapValues { now - $0.wholeMilliseconds }
        self.byType = overrides.filter { !$0.value.states.isEmpty }.mapValues { override in
            override.states.mapValues { keep -> Int64? in
                switch keep {
                case .forever: nil
                case .period(let period): now - period.wholeMilliseconds
                }
            }
        }
    }

    /// The latest cutoff of all: no job created after it can be removed (a job finishes after it is created).
    public var latest: Int64? {
        (Array(self.byState.values) + self.byType.values.flatMap { $0.values.compactMap { $0 } }).max()
    }
}
