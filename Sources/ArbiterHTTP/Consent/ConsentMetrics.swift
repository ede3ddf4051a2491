import ArbiterJobs
import ArbiterMetrics

/// `arbiter_consent_*` and `arbiter_credential_releases_total`: every consent check (at submission and
/// at dispatch) by result, grants, revocations and expirations by scope, and credentials handed to
/// workers inside assignments.
public struct ConsentMetrics: ConsentObserver {
    let checks: CounterFamily
    let grants: CounterFamily
    let revocations: CounterFamily
    let expirations: CounterFamily
    let releases: CounterFamily

    public init(registry: MetricRegistry) throws {
        self.checks = try registry.counterFamily(
            "arbiter_consent_checks_total", help: "Consent checks at submission and dispatch, by scope and result (granted, denied, expired, revoked).",
            labelNames: ["scope", "result"])
        self.grants = try registry.counterFamily("arbiter_consent_grants_total", help: "Consents recorded, by scope.", labelNames: ["scope"])
        self.revocations = try registry.counterFamily(
            "arbiter_consent_revocations_total", help: "Consents revoked, by scope.", labelNames: ["scope"])
        self.expirations = try registry.counterFamily(
            "arbiter_consent_expirations_total", help: "Consents that reached their expiry, by scope.", labelNames: ["scope"])
        self.releases = try registry.counterFamily(
            "arbiter_credential_releases_total", help: "Credentials handed to a worker inside a job's assignment, by scope.",
            labelNames: ["scope"])
    }

    /// Creates a scope's counters at 0, so that their first increase shows in a `rate`.
    public func prepare(scope: String) {
        for family in [self.grants, self.revocations, self.expirations, self.releases] { _ = try? family.labels(scope) }
        for status in ConsentStatus.allCases { _ = try? self.checks.labels(scope, status.rawValue) }
    }

    public func checked(scope: String, status: ConsentStatus) {
        try? self.checks.labels(scope, status.rawValue).increment()
    }

    func granted(_ consent: ConsentRecord) {
        self.prepare(scope: consent.scope)
        try? self.grants.labels(consent.scope).increment()
    }

    func revoked(_ consent: ConsentRecord) {
        try? self.revocations.labels(consent.scope).increment()
    }

    public func expired(_ consents: [ConsentRecord]) {
        for consent in consents { try? self.expirations.labels(consent.scope).increment() }
    }

    func assigned(_ job: JobRecord) {
        if job.lease?.credential != nil, let scope = job.consentScope { try? self.releases.labels(scope).increment() }
    }
}
