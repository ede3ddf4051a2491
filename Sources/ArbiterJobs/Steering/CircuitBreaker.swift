/// A job type's circuit breaker as a value: a firing `pause` alert opens it (nothing of the type is
/// dispatched), its resolution half-opens it (exactly `probeSize` jobs are let through), and the
/// probes decide: all succeed and it closes, one fails and it opens again. Reopened by a probe while
/// the alert stays quiet, it half-opens again after ``reopenCooldown``, so a breaker never stays open
/// with nothing left to resolve it. An operator's override
/// (force open, force close) wins over the alerts until it expires or is lifted.
///
/// Each event returns the transition it caused, if any, for the log, the audit entry and
/// `arbiter_scheduler_actions_total`; the state is `arbiter_circuit_state`.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed
        case open
        /// Probes let through so far, and how many of them succeeded.
        case halfOpen(admitted: Int, succeeded: Int)

        /// `closed`, `open` or `half_open`, as metrics and the API name it.
        public var name: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half_open"
            }
        }
    }

    public enum Transition: String, Sendable, Equatable, CaseIterable {
        case opened, halfOpened = "half_opened", closed, reopened
    }

    /// An operator's decision that outranks the alerts until `until` (Unix ms; `nil`: until lifted).
    public enum Override: Sendable, Equatable {
        case forceOpen(until: Int64?)
        case forceClose(until: Int64?)
    }

    /// How long a breaker reopened by a failed probe waits before probing again (Unix ms), unless
    /// its alert fires again first.
    public static let reopenCooldown: Int64 = 60_000

    /// Jobs let through when half-open.
    public let probeSize: Int
    /// When a failed probe last reopened it.
    public private(set) var reopenedAt: Int64?
    public private(set) var state: State = .closed
    /// Counts the breaker's half-open rounds: a probe belongs to the round that admitted it, and
    /// reports or returns from an earlier round (it fired again, or an override came between)
    /// change nothing.
    public private(set) var trial = 0
    public private(set) var override: Override?
    /// Whether the alert that drives the breaker is firing now (kept under an override, so lifting
    /// it lands in the right state).
    public private(set) var alertFiring = false

    public init(probeSize: Int) {
        self.probeSize = max(1, probeSize)
    }

    /// The state dispatch obeys: the override's while it lasts.
    /// Whether it lets probes through now (half-open, not overridden).
    public var isProbing: Bool {
        if case .halfOpen = self.effectiveState { return true }
        return false
    }

    public var effectiveState: State {
        switch self.override {
        case .forceOpen: .open
        case .forceClose: .closed
        case nil: self.state
        }
    }

    /// The driving alert fired (or is still firing).
    public mutating func alertFired() -> Transition? {
        self.alertFiring = true
        self.reopenedAt = nil
        guard self.override == nil else { return nil }
        switch self.state {
        case .closed:
            self.state = .open
            return .opened
        case .open:
            return nil
        case .halfOpen:
            self.state = .open
            return .reopened
        }
    }

    /// The driving alert resolved.
    public mutating func alertResolved() -> Transition? {
        self.alertFiring = false
        self.reopenedAt = nil
        guard self.override == nil, self.state == .open else { return nil }
        self.halfOpen()
        return .halfOpened
    }

    /// How many jobs of the type may be dispatched now: no limit (`nil`) when closed, none when
    /// open, and while half-open the probes not yet let through.
    public var available: Int? {
        switch self.effectiveState {
        case .closed: nil
        case .open: 0
        case .halfOpen(let admitted, _): max(0, self.probeSize - admitted)
        }
    }

    /// Asks to dispatch one job of the type: always when closed, never when open, and while
    /// half-open only until `probeSize` probes are out (each admitted one counts).
    public mutating func admit() -> Bool {
        self.admit(upTo: 1) == 1
    }

    /// Admits up to `wanted` jobs at once; returns how many.
    public mutating func admit(upTo wanted: Int) -> Int {
        let count = max(0, min(wanted, self.available ?? wanted))
        if self.override == nil, case .halfOpen(let admitted, let succeeded) = self.state {
            self.state = .halfOpen(admitted: admitted + count, succeeded: succeeded)
        }
        return count
    }

    /// Gives back probes that were admitted but never ran (not leased after all, or cancelled), so
    /// others take their place. `trial`: the round that admitted them (`nil`: this one).
    public mutating func returnProbes(_ count: Int, trial: Int? = nil) {
        guard trial == nil || trial == self.trial, case .halfOpen(let admitted, let succeeded) = self.state else { return }
        self.state = .halfOpen(admitted: max(succeeded, admitted - max(0, count)), succeeded: succeeded)
    }

    /// A probe of `trial` (`nil`: this round) finished. Reports that arrive in any other state, or
    /// from another round, are from before and change nothing.
    public mutating func probeFinished(succeeded: Bool, trial: Int? = nil, at time: Int64 = 0) -> Transition? {
        guard self.override == nil, trial == nil || trial == self.trial, case .halfOpen(let admitted, let done) = self.state else { return nil }
        guard succeeded else {
            self.state = .open
            self.reopenedAt = time
            return .reopened
        }
        if done + 1 >= self.probeSize {
            self.state = .closed
            return .closed
        }
        self.state = .halfOpen(admitted: admitted, succeeded: done + 1)
        return nil
    }

    /// Half-opens a breaker that a failed probe reopened, once the cooldown is over and its alert
    /// has not fired again.
    public mutating func probeAgain(now: Int64) -> Transition? {
        guard self.override == nil, self.state == .open, !self.alertFiring, let reopened = self.reopenedAt,
              now >= reopened + Self.reopenCooldown else { return nil }
        self.reopenedAt = nil
        self.halfOpen()
        return .halfOpened
    }

    /// A new half-open round, with a fresh set of probes.
    private mutating func halfOpen() {
        self.state = .halfOpen(admitted: 0, succeeded: 0)
        self.trial += 1
    }

    /// Sets or lifts an operator's override.
    public mutating func setOverride(_ override: Override?) {
        self.override = override
        if override == nil { self.settleAfterOverride() }
    }

    /// Lifts an override whose time is up.
    /// - Returns: Whether one expired.
    public mutating func expire(now: Int64) -> Bool {
        let until: Int64?
        switch self.override {
        case .forceOpen(let end), .forceClose(let end): until = end
        case nil: return false
        }
        guard let until, now >= until else { return false }
        self.setOverride(nil)
        return true
    }

    /// After an override the breaker follows the alert again: open while it fires, half-open (with
    /// a fresh set of probes) if it was open or half-open and the alert is now quiet, else closed.
    private mutating func settleAfterOverride() {
        if self.alertFiring {
            self.state = .open
        } else if self.state == .open {
            self.halfOpen()
        } else if case .halfOpen = self.state {
            self.halfOpen()
        }
    }
}
