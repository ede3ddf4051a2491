import Synchronization

/// What one job type needs, estimated from the last window of Arbiter's own data.
public struct CapacityEstimate: Sendable, Equatable {
    public var jobType: String
    /// λ: jobs submitted per second.
    public var arrivalRate: Double
    /// S: the mean attempt duration (seconds); NaN until an attempt finished in the window.
    public var serviceSeconds: Double
    /// Slots of live workers that run the type (shared with their other types).
    public var slots: Int
    /// ρ = λ·S / slots: the share of those slots the type keeps busy (infinite with no slots).
    public var utilization: Double
    /// The fewest slots that keep the mean queue wait under the target (Erlang C).
    public var recommendedSlots: Int?
    /// The mean queue wait with the slots there are now (infinite when they cannot keep up).
    public var predictedWait: Double

    public init(jobType: String, arrivalRate: Double, serviceSeconds: Double, slots: Int, targetWait: Double) {
        self.jobType = jobType
        self.arrivalRate = arrivalRate
        self.serviceSeconds = serviceSeconds
        self.slots = slots
        let load = serviceSeconds.isNaN ? 0 : arrivalRate * serviceSeconds
        self.utilization = slots > 0 ? load / Double(slots) : (load > 0 ? .infinity : 0)
        self.recommendedSlots = serviceSeconds.isNaN
            ? nil : ErlangC.slotsNeeded(arrivalRate: arrivalRate, serviceSeconds: serviceSeconds, targetWait: targetWait)
        self.predictedWait = serviceSeconds.isNaN ? .nan : ErlangC.meanWait(servers: slots, arrivalRate: arrivalRate, serviceSeconds: serviceSeconds)
    }
}

/// The latest capacity estimates, written by the planner and read by the API.
public final class CapacityReport: Sendable {
    public struct Snapshot: Sendable {
        /// Unix ms of the estimate.
        public var time: Int64 = 0
        public var window: Duration
        public var targetWait: Duration
        public var estimates: [CapacityEstimate] = []
    }

    private let snapshot: Mutex<Snapshot>

    public init(window: Duration, targetWait: Duration) {
        self.snapshot = Mutex(Snapshot(window: window, targetWait: targetWait))
    }

    public var current: Snapshot { self.snapshot.withLock { $0 } }

    public func publish(_ estimates: [CapacityEstimate], at time: Int64) {
        self.snapshot.withLock {
            $0.estimates = estimates
            $0.time = time
        }
    }
}
